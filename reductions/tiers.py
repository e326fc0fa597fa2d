"""The tier rule (核算类别) of DESIGN.md §2, as a pure function of plain values.

No database here: the caller looks up the Annex 2 row in force (``PackageRule``) and passes
it in as a ``RuleRow``. Floors are exclusive, ceilings inclusive; a row with no floor has
no MICRO tier. Reasons are sentences a clerk understands.

VOCs management (notice 三(四)) is a kind of project type, never a declaration on the
project: only a type of the kind "VOCs management measure (Shanghai VOCs guide)" is
VOC_MGMT, and an Annex 1 type never is.

``project_tier`` is the one entry the service and the data migrations share: it reads the
fields of a project type and an Annex 2 row (current or historical models alike).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from ledger.models import Pollutant


class Tier:
    KEY = "KEY"
    PACKAGE = "PACKAGE"
    MICRO = "MICRO"
    VOC_MGMT = "VOC_MGMT"


# Project type kinds (reductions.models.TypeKind).
KIND_ANNEX_1 = "ANNEX_1"
KIND_VOC_MANAGEMENT = "VOC_MGMT"

# The accounting method each tier implies (reductions.models.AccountingMethod): MICRO is
# accounted "参照国家重点工程减排量核算方法", VOC_MGMT under the Shanghai VOCs guide, KEY by
# the Ministry and PACKAGE through filing in the national reduction information system.
METHOD = {
    Tier.KEY: "NATIONAL_KEY",
    Tier.MICRO: "NATIONAL_KEY",
    Tier.PACKAGE: "NATIONAL_PACKAGE",
    Tier.VOC_MGMT: "SHANGHAI_VOC_GUIDE",
}

# Project flags the rule reads.
FLAG_NEW_LARGE_SCALE_FARM = "new_large_scale_farm"
FLAG_BELOW_SCALE_CENTRAL = "below_scale_central_treatment"
FLAG_GREEN_ISLAND = "green_island"

LIVESTOCK_TYPE = "W_LIVESTOCK"


@dataclass(frozen=True)
class RuleRow:
    """The Annex 2 row in force for a project type on the project's completion date."""

    floor: Decimal | None
    ceiling: Decimal | None
    size_limit: Decimal | None = None
    size_unit_label: str = ""
    required_flag: str = ""


@dataclass(frozen=True)
class TierResult:
    tier: str | None  # None: excluded from accounting altogether
    reason: str

    @property
    def excluded(self) -> bool:
        return self.tier is None

    @property
    def method(self) -> str:
        return METHOD.get(self.tier, "")


def _t(amount: Decimal) -> str:
    return f"{amount:.3f}"


def _bound(value: Decimal) -> str:
    return f"{value.normalize():f}"


def classify(
    *,
    type_code: str,
    type_name: str,
    amounts: Mapping[str, Decimal],
    rule: RuleRow | None,
    flags: frozenset[str] = frozenset(),
    size: Decimal | None = None,
    micro_threshold: Decimal = Decimal("0.1"),
    type_kind: str = KIND_ANNEX_1,
) -> TierResult:
    """Decide a project's tier from its type (and the type's kind), claimed reductions
    (tonnes per pollutant), size and flags. ``micro_threshold`` applies to types without an
    Annex 2 row."""
    named = {Pollutant(p).symbol: a for p, a in amounts.items() if a is not None}

    if type_code == LIVESTOCK_TYPE and FLAG_NEW_LARGE_SCALE_FARM in flags:
        return TierResult(
            None,
            _(
                "A new large-scale livestock farm's own manure treatment is excluded from "
                "reduction accounting (Annex 2); it cannot be entered."
            ),
        )
    if type_kind == KIND_VOC_MANAGEMENT:
        return TierResult(
            Tier.VOC_MGMT,
            _(
                "%(type)s is a VOCs management measure with no national accounting method; "
                "it is accounted under the Shanghai VOCs guide → VOCs management"
            )
            % {"type": type_name},
        )
    if not named:
        return TierResult(Tier.KEY, _("No reduction amounts entered yet → key project"))

    if rule is not None and rule.required_flag and rule.required_flag not in flags:
        rule_note = _("the small-package condition of %(type)s is not met") % {"type": type_name}
        rule = None
    else:
        rule_note = _("%(type)s has no small-package row") % {"type": type_name}

    if rule is None:
        if all(a <= micro_threshold for a in named.values()):
            return TierResult(
                Tier.MICRO,
                _("%(note)s; every reduction (%(amounts)s) is at most %(limit)s t → micro")
                % {
                    "note": rule_note,
                    "amounts": ", ".join(f"{p} {_t(a)} t" for p, a in named.items()),
                    "limit": _bound(micro_threshold),
                },
            )
        over = next((p, a) for p, a in named.items() if a > micro_threshold)
        return TierResult(
            Tier.KEY,
            _("%(note)s; %(p)s %(a)s t exceeds %(limit)s t → key project")
            % {"note": rule_note, "p": over[0], "a": _t(over[1]), "limit": _bound(micro_threshold)},
        )

    if rule.size_limit is not None and size is not None and size > rule.size_limit:
        return TierResult(
            Tier.KEY,
            _(
                "Size %(size)s %(unit)s exceeds the %(limit)s %(unit)s small-package limit "
                "for %(type)s → key project"
            )
            % {
                "size": _bound(size),
                "unit": rule.size_unit_label,
                "limit": _bound(rule.size_limit),
                "type": type_name,
            },
        )
    if rule.ceiling is not None:
        for p, a in named.items():
            if a > rule.ceiling:
                return TierResult(
                    Tier.KEY,
                    _(
                        "%(p)s %(a)s t exceeds the %(limit)s t small-package ceiling "
                        "for %(type)s → key project"
                    )
                    % {"p": p, "a": _t(a), "limit": _bound(rule.ceiling), "type": type_name},
                )
    if rule.floor is not None and all(a <= rule.floor for a in named.values()):
        return TierResult(
            Tier.MICRO,
            _(
                "Every reduction (%(amounts)s) is at or below the %(limit)s t small-package "
                "floor for %(type)s → micro"
            )
            % {
                "amounts": ", ".join(f"{p} {_t(a)} t" for p, a in named.items()),
                "limit": _bound(rule.floor),
                "type": type_name,
            },
        )
    return TierResult(
        Tier.PACKAGE,
        _("Within the small-package range of %(type)s → small package") % {"type": type_name},
    )


def rule_row(rule) -> RuleRow | None:
    """The plain values of an Annex 2 row (a ``PackageRule``, current or historical)."""
    if rule is None:
        return None
    return RuleRow(
        floor=rule.floor,
        ceiling=rule.ceiling,
        size_limit=rule.size_limit,
        # gettext: a historical model's choice label is the untranslated English text.
        size_unit_label=_(str(rule.get_size_unit_display())) if rule.size_unit else "",
        required_flag=rule.required_flag,
    )


# The project field that holds the size an Annex 2 row limits, by the row's size unit.
SIZE_FIELD = {"T_H": "boiler_capacity", "T_D": "sewage_capacity"}


def size_field(rule) -> str | None:
    if rule is None or rule.size_limit is None:
        return None
    return SIZE_FIELD[rule.size_unit]


def project_flags(data: Mapping) -> frozenset[str]:
    names = (FLAG_NEW_LARGE_SCALE_FARM, FLAG_BELOW_SCALE_CENTRAL, FLAG_GREEN_ISLAND)
    return frozenset(n for n in names if data.get(n))


def project_tier(
    *,
    project_type,
    type_name: str,
    rule,
    amounts: Mapping[str, Decimal | None],
    data: Mapping,
    micro_threshold: Decimal,
) -> TierResult:
    """The tier of a project of ``project_type`` (its ``code`` and ``kind`` are read) under
    the Annex 2 row ``rule`` in force (or None), from its amounts and project fields."""
    field = size_field(rule)
    return classify(
        type_code=project_type.code,
        type_name=type_name,
        type_kind=project_type.kind,
        amounts={p: a for p, a in amounts.items() if a},
        rule=rule_row(rule),
        flags=project_flags(data),
        size=data.get(field) if field else None,
        micro_threshold=micro_threshold,
    )
