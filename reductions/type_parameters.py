"""Which project fields a project type needs (the form's "类型参数" section).

The server decides: the project form renders each type's needs on its option, the page shows
only those fields, and the form ignores a parameter the chosen type does not use. What a
type needs follows from what decides its tier and its bundle (services / bundles), so
nothing here is a second copy of a rule.
"""

from . import tiers
from .models import BundleKey, PackageRule, ProjectType

# The project fields only some project types use; every other project field applies to all.
TYPE_PARAMETER_FIELDS = (
    "boiler_capacity",
    "sewage_capacity",
    "fuel_type",
    "below_scale_central_treatment",
    "new_large_scale_farm",
    "green_island",
)


def type_parameter_fields() -> dict[int, tuple[str, ...]]:
    """The type parameters each project type needs, by type id: the size an Annex 2 row
    limits (boiler or treatment capacity), the condition it requires (below-scale central
    treatment), bundling by fuel, a green-island cluster bundle, and the exclusion of a new
    large-scale livestock farm. Every Annex 2 row of a type counts, whatever its date, so a
    field does not come and go while the completion date is typed. A type not named needs
    none."""
    needed: dict[int, set[str]] = {}
    for rule in PackageRule.objects.all():
        fields = needed.setdefault(rule.project_type_id, set())
        if rule.size_limit is not None and rule.size_unit in tiers.SIZE_FIELD:
            fields.add(tiers.SIZE_FIELD[rule.size_unit])
        if rule.required_flag in TYPE_PARAMETER_FIELDS:
            fields.add(rule.required_flag)
        if rule.bundle_key == BundleKey.FUEL:
            fields.add("fuel_type")
        if rule.green_island_bundle:
            fields.add("green_island")
    livestock = ProjectType.objects.filter(code=tiers.LIVESTOCK_TYPE).values_list("pk", flat=True)
    for type_id in livestock:
        needed.setdefault(type_id, set()).add(tiers.FLAG_NEW_LARGE_SCALE_FARM)
    return {
        type_id: tuple(f for f in TYPE_PARAMETER_FIELDS if f in fields)
        for type_id, fields in needed.items()
    }
