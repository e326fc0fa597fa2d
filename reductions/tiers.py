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
from dataclasses import dataclass, field
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
    size_unit: str = ""  # SizeUnit code (T_H, T_D): the reason names it in the reader's language


# Why a tier was chosen: a code and language-neutral parameters (pollutant codes, amounts as
# strings, size-unit codes), stored on the project and worded in the reader's language by
# ``reason_text``. The project type is named from the project itself.
EXCLUDED_NEW_FARM = "excluded_new_farm"
VOC_MANAGEMENT = "voc_management"
NO_AMOUNTS = "no_amounts"
MICRO_NO_ROW = "micro_no_row"
KEY_NO_ROW = "key_no_row"
KEY_SIZE = "key_size"
KEY_CEILING = "key_ceiling"
MICRO_FLOOR = "micro_floor"
PACKAGE_RANGE = "package_range"
REASON_CODES = (
    EXCLUDED_NEW_FARM,
    VOC_MANAGEMENT,
    NO_AMOUNTS,
    MICRO_NO_ROW,
    KEY_NO_ROW,
    KEY_SIZE,
    KEY_CEILING,
    MICRO_FLOOR,
    PACKAGE_RANGE,
)
# Why an Annex 2 row did not apply (MICRO_NO_ROW, KEY_NO_ROW).
NOTE_NO_ROW = "no_row"
NOTE_CONDITION_NOT_MET = "condition_not_met"
# gettext msgids of the size units (reductions.models.SizeUnit labels).
SIZE_UNITS = {"T_H": "t/h steam", "T_D": "t/d"}


@dataclass(frozen=True)
class TierResult:
    tier: str | None  # None: excluded from accounting altogether
    code: str
    params: dict = field(default_factory=dict)
    type_name: str = ""

    @property
    def excluded(self) -> bool:
        return self.tier is None

    @property
    def method(self) -> str:
        return METHOD.get(self.tier, "")

    @property
    def reason(self) -> str:
        """The reason in the active language."""
        return reason_text(self.code, self.params, type_name=self.type_name)


def _t(amount: Decimal) -> str:
    return f"{amount:.3f}"


def _bound(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _symbol(pollutant: str) -> str:
    return Pollutant(pollutant).symbol if pollutant in Pollutant.values else pollutant


def _amounts(pairs) -> str:
    return ", ".join(f"{_symbol(p)} {a} t" for p, a in pairs)


def _unit(params: Mapping) -> str:
    unit = params.get("unit", "")
    return _(SIZE_UNITS[unit]) if unit in SIZE_UNITS else params.get("unit_label", "")


def reason_text(code: str, params: Mapping, *, type_name: str) -> str:
    """A tier reason worded in the active language from its code and parameters."""
    params = dict(params or {})
    if code == EXCLUDED_NEW_FARM:
        return _(
            "A new large-scale livestock farm's own manure treatment is excluded from "
            "reduction accounting (Annex 2); it cannot be entered."
        )
    if code == VOC_MANAGEMENT:
        return _(
            "%(type)s is a VOCs management measure with no national accounting method; "
            "it is accounted under the Shanghai VOCs guide → VOCs management"
        ) % {"type": type_name}
    if code == NO_AMOUNTS:
        return _("No reduction amounts entered yet → key project")
    if code in (MICRO_NO_ROW, KEY_NO_ROW):
        if params.get("note") == NOTE_CONDITION_NOT_MET:
            note = _("the small-package condition of %(type)s is not met") % {"type": type_name}
        else:
            note = _("%(type)s has no small-package row") % {"type": type_name}
        if code == MICRO_NO_ROW:
            return _("%(note)s; every reduction (%(amounts)s) is at most %(limit)s t → micro") % {
                "note": note,
                "amounts": _amounts(params.get("amounts", [])),
                "limit": params.get("limit", ""),
            }
        return _("%(note)s; %(p)s %(a)s t exceeds %(limit)s t → key project") % {
            "note": note,
            "p": _symbol(params.get("p", "")),
            "a": params.get("a", ""),
            "limit": params.get("limit", ""),
        }
    if code == KEY_SIZE:
        return _(
            "Size %(size)s %(unit)s exceeds the %(limit)s %(unit)s small-package limit "
            "for %(type)s → key project"
        ) % {
            "size": params.get("size", ""),
            "unit": _unit(params),
            "limit": params.get("limit", ""),
            "type": type_name,
        }
    if code == KEY_CEILING:
        return _(
            "%(p)s %(a)s t exceeds the %(limit)s t small-package ceiling for %(type)s → key project"
        ) % {
            "p": _symbol(params.get("p", "")),
            "a": params.get("a", ""),
            "limit": params.get("limit", ""),
            "type": type_name,
        }
    if code == MICRO_FLOOR:
        return _(
            "Every reduction (%(amounts)s) is at or below the %(limit)s t small-package "
            "floor for %(type)s → micro"
        ) % {
            "amounts": _amounts(params.get("amounts", [])),
            "limit": params.get("limit", ""),
            "type": type_name,
        }
    if code == PACKAGE_RANGE:
        return _("Within the small-package range of %(type)s → small package") % {"type": type_name}
    return ""


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
    named = {p: a for p, a in amounts.items() if a is not None}

    def result(tier, code, **params) -> TierResult:
        return TierResult(tier, code, params, type_name)

    if type_code == LIVESTOCK_TYPE and FLAG_NEW_LARGE_SCALE_FARM in flags:
        return result(None, EXCLUDED_NEW_FARM)
    if type_kind == KIND_VOC_MANAGEMENT:
        return result(Tier.VOC_MGMT, VOC_MANAGEMENT)
    if not named:
        return result(Tier.KEY, NO_AMOUNTS)

    if rule is not None and rule.required_flag and rule.required_flag not in flags:
        note = NOTE_CONDITION_NOT_MET
        rule = None
    else:
        note = NOTE_NO_ROW

    if rule is None:
        if all(a <= micro_threshold for a in named.values()):
            return result(
                Tier.MICRO,
                MICRO_NO_ROW,
                note=note,
                amounts=[[p, _t(a)] for p, a in named.items()],
                limit=_bound(micro_threshold),
            )
        over = next((p, a) for p, a in named.items() if a > micro_threshold)
        return result(
            Tier.KEY,
            KEY_NO_ROW,
            note=note,
            p=over[0],
            a=_t(over[1]),
            limit=_bound(micro_threshold),
        )

    if rule.size_limit is not None and size is not None and size > rule.size_limit:
        return result(
            Tier.KEY,
            KEY_SIZE,
            size=_bound(size),
            unit=rule.size_unit,
            unit_label=rule.size_unit_label,
            limit=_bound(rule.size_limit),
        )
    if rule.ceiling is not None:
        for p, a in named.items():
            if a > rule.ceiling:
                return result(Tier.KEY, KEY_CEILING, p=p, a=_t(a), limit=_bound(rule.ceiling))
    if rule.floor is not None and all(a <= rule.floor for a in named.values()):
        return result(
            Tier.MICRO,
            MICRO_FLOOR,
            amounts=[[p, _t(a)] for p, a in named.items()],
            limit=_bound(rule.floor),
        )
    return result(Tier.PACKAGE, PACKAGE_RANGE)


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
        size_unit=rule.size_unit or "",
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
