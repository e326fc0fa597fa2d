"""Spreadsheet imports of reduction projects and of the national certification results.

Projects are matched by their project number (项目编号): a row whose number is new creates a
project, one whose project exists updates it while it is still editable, and one that says
what the project already says changes nothing, so importing the same file twice is harmless.
Every write goes through ``services.save_project`` or ``services.act``; the preview asks the
same services' checks (``validate_project``) and the same permissions.
"""

from collections.abc import Callable, Iterable
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ledger import imports as sheet
from ledger.imports import Column, Row, RowResult, RowStatus
from ledger.models import Entity, EntityKind, Pollutant, Role, User

from . import services, workflow
from .models import FuelType, Industry, PlanPeriod, Project, ProjectType, Status

Progress = Callable[[int, int], None]
AMOUNT_COLUMNS = {p.value: f"amount_{p.value}" for p in Pollutant}
MAKER_KINDS = (EntityKind.DISTRICT, EntityKind.COMMITTEE, EntityKind.ENTERPRISE)
# New projects are written this many at a time, so progress moves during a large import.
CREATE_BATCH = 500


def _no_progress(done: int, total: int) -> None:
    return None


class Lookups:
    """Reference rows read once per file, not once per row."""

    def __init__(self):
        self.may_create: dict[int, bool] = {}
        self.industries = {i.code: i for i in Industry.objects.all()}
        # Sub-types prefetched: the service asks every row's type for them (a heading).
        types = list(
            ProjectType.objects.filter(subtypes__isnull=True)
            .select_related("parent")
            .prefetch_related("subtypes")
        )
        self.types = {}
        for project_type in types:
            for name in (project_type.code, project_type.name_zh, project_type.name_en):
                if name:
                    self.types[sheet.normalise_header(name)] = project_type
        self.periods = {}
        for period in PlanPeriod.objects.all():
            for name in (period.code, period.name_zh, period.name_en):
                if name:
                    self.periods[sheet.normalise_header(name)] = period
        self.entities = {}
        for entity in Entity.objects.filter(kind__in=MAKER_KINDS, is_active=True):
            self.entities[sheet.normalise_header(entity.code)] = entity
            self.entities[sheet.normalise_header(entity.name_zh)] = entity
        self.fuels = {}
        for fuel in FuelType:
            for name in (fuel.value, str(fuel.label)):
                self.fuels[sheet.normalise_header(name)] = fuel.value
        from django.utils import translation

        with translation.override("zh-hans"):
            for fuel in FuelType:
                self.fuels[sheet.normalise_header(str(fuel.label))] = fuel.value

    def industry(self, value) -> Industry:
        code = sheet.text(value)[:2]
        industry = self.industries.get(code.zfill(2) if code.isdigit() else code)
        if industry is None:
            raise sheet.CellError(
                _("“%(value)s” is not a GB/T 4754-2017 major category code (two digits).")
                % {"value": sheet.text(value)}
            )
        return industry

    def project_type(self, value) -> ProjectType:
        found = self.types.get(sheet.normalise_header(value))
        if found is None:
            raise sheet.CellError(
                _("“%(value)s” is not a project type; pick one from the template's list.")
                % {"value": sheet.text(value)}
            )
        return found


def project_columns() -> list[Column]:
    columns = [
        Column(
            "number",
            "项目编号",
            "project number",
            sheet.required_text,
            note=gettext_lazy(
                "Your own number for the project; a file imported again "
                "updates the projects with these numbers."
            ),
            width=14,
        ),
        Column(
            "owner",
            "所属主体",
            "owner",
            sheet.text,
            required=False,
            note=gettext_lazy(
                "District, committee or municipal enterprise (code or Chinese "
                "name); blank means your own entity."
            ),
            width=14,
        ),
        Column("name", "项目名称", "project name", sheet.required_text, width=28),
        Column("enterprise_name", "实施企业名称", "enterprise", sheet.required_text, width=24),
        Column("credit_code", "统一社会信用代码", "credit code", sheet.required_text, width=20),
        Column(
            "industry",
            "行业大类代码",
            "industry code",
            sheet.required_text,
            note=gettext_lazy("Two-digit major category of GB/T 4754-2017."),
            choices=_industry_choices,
            width=12,
        ),
        Column(
            "project_type",
            "项目类型",
            "project type",
            sheet.required_text,
            note=gettext_lazy("A sub-type, not a heading; the list holds every type."),
            choices=_type_choices,
            width=24,
        ),
        Column("measure", "减排措施", "measure", sheet.required_text, width=28),
        Column(
            "plan_period",
            "规划期",
            "plan period",
            sheet.text,
            required=False,
            note=gettext_lazy("Blank means the period of the accounting year."),
            choices=_period_choices,
            width=12,
        ),
        Column("accounting_year", "核算年度", "accounting year", sheet.year, width=10),
        Column(
            "completion_date",
            "完成日期",
            "completion date",
            sheet.date,
            note=gettext_lazy("As 2025-06-30."),
            width=12,
        ),
        Column(
            "boiler_capacity",
            "锅炉规模（蒸吨/小时）",
            "boiler size (t/h)",
            sheet.amount,
            required=False,
            width=12,
        ),
        Column(
            "sewage_capacity",
            "处理能力（吨/日）",
            "treatment capacity (t/d)",
            sheet.amount,
            required=False,
            width=12,
        ),
        Column(
            "fuel_type",
            "燃料类型",
            "fuel type",
            sheet.text,
            required=False,
            choices=_fuel_choices,
            width=10,
        ),
        Column(
            "below_scale_central_treatment",
            "散养集中处理",
            "below-scale central treatment",
            sheet.flag,
            required=False,
            note=gettext_lazy("是 or 否."),
            choices=_yes_no,
            width=10,
        ),
        Column(
            "new_large_scale_farm",
            "新建规模化养殖场",
            "new large-scale farm",
            sheet.flag,
            required=False,
            choices=_yes_no,
            width=10,
        ),
        Column(
            "green_island",
            "绿岛",
            "green island",
            sheet.flag,
            required=False,
            choices=_yes_no,
            width=8,
        ),
    ]
    for pollutant in Pollutant:
        columns.append(
            Column(
                AMOUNT_COLUMNS[pollutant.value],
                f"{_zh_symbol(pollutant)}减排量（吨/年）",
                f"{pollutant.symbol} reduction (t/a)",
                sheet.amount,
                required=False,
                note=gettext_lazy("Tonnes per year, at most three decimals."),
                width=14,
            )
        )
    return columns


def _zh_symbol(pollutant: Pollutant) -> str:
    return {"NOX": "氮氧化物", "VOCS": "挥发性有机物", "COD": "化学需氧量", "NH3N": "氨氮"}[
        pollutant.value
    ]


def _industry_choices() -> list[str]:
    return list(Industry.objects.order_by("code").values_list("code", flat=True))


def _type_choices() -> list[str]:
    return list(
        ProjectType.objects.filter(subtypes__isnull=True)
        .order_by("category", "sort_order", "code")
        .values_list("name_zh", flat=True)
    )


def _period_choices() -> list[str]:
    return list(PlanPeriod.objects.values_list("code", flat=True))


def _fuel_choices() -> list[str]:
    from django.utils import translation

    with translation.override("zh-hans"):
        return [str(f.label) for f in FuelType]


def _yes_no() -> list[str]:
    return ["是", "否"]


FIELD_COLUMNS = {
    None: "—",
    "number": "项目编号",
    "name": "项目名称",
    "enterprise_name": "实施企业名称",
    "credit_code": "统一社会信用代码",
    "industry": "行业大类代码",
    "project_type": "项目类型",
    "measure": "减排措施",
    "plan_period": "规划期",
    "accounting_year": "核算年度",
    "completion_date": "完成日期",
    "boiler_capacity": "锅炉规模（蒸吨/小时）",
    "sewage_capacity": "处理能力（吨/日）",
    "fuel_type": "燃料类型",
    **{f"amount_{p.value}": f"{_zh_symbol(p)}减排量（吨/年）" for p in Pollutant},
}


class ProjectImporter:
    """Reduction projects (减排项目): a district imports its own, a municipal clerk any."""

    kind = "projects"
    title = gettext_lazy("Reduction projects")

    def __init__(self, user: User):
        self.user = user
        self.columns = sheet.with_entity_choices(
            project_columns(),
            "owner",
            user,
            lambda u, entity: (
                entity.kind in MAKER_KINDS and u.has_perm("reductions.create_project", entity)
            ),
        )

    @staticmethod
    def may_use(user: User) -> bool:
        return user.has_role(Role.DISTRICT_CLERK, Role.MUNICIPAL_CLERK, Role.ENTERPRISE_USER)

    def _owner(self, raw: str, lookups: Lookups, result: RowResult) -> Entity | None:
        if not raw:
            owner = self.user.entity
            if owner is None or owner.kind not in MAKER_KINDS:
                result.error("所属主体", _("Name the district or enterprise the project is of."))
                return None
        else:
            owner = lookups.entities.get(sheet.normalise_header(raw))
            if owner is None:
                result.error(
                    "所属主体", _("“%(value)s” is not a district or enterprise.") % {"value": raw}
                )
                return None
        may = lookups.may_create.get(owner.pk)
        if may is None:  # asked once per owner of the file, not once per row
            may = lookups.may_create[owner.pk] = self.user.has_perm(
                "reductions.create_project", owner
            )
        if not may:
            result.error(
                "所属主体",
                _("You may not import projects of %(owner)s.") % {"owner": owner.name_zh},
            )
            return None
        return owner

    def check(self, rows: list[Row], progress: Progress = _no_progress) -> list[RowResult]:
        lookups = Lookups()
        numbers = [sheet.text(r.cells.get("number")) for r in rows]
        existing = {
            p.number: p
            # number <> '': the partial unique index serves an IN list of any length.
            for p in Project.objects.filter(number__in=[n for n in numbers if n])
            .exclude(number="")
            .order_by()
            .select_related("owner", "industry", "project_type", "plan_period")
            .prefetch_related("amounts")
        }
        taken = {number: project.pk for number, project in existing.items()}
        seen: dict[str, int] = {}
        results = []
        with services.rules_read_once():
            for index, row in enumerate(rows, start=1):
                results.append(self._check_row(row, lookups, existing, taken, seen))
                if index % 200 == 0:
                    progress(index, len(rows))
        progress(len(rows), len(rows))
        return results

    def _check_row(self, row: Row, lookups, existing, taken, seen) -> RowResult:
        result = RowResult(number=row.number)
        values = sheet.check_cells(row, self.columns, result)
        number = values.get("number") or ""
        result.label = number
        if number in seen:
            result.error(
                "项目编号",
                _("Project number %(number)s is also on row %(row)s.")
                % {"number": number, "row": seen[number]},
            )
        elif number:
            seen[number] = row.number
        data = {}
        for key, lookup in (("industry", lookups.industry), ("project_type", lookups.project_type)):
            if key in values:
                try:
                    data[key] = lookup(values[key])
                except sheet.CellError as error:
                    result.error(FIELD_COLUMNS[key], str(error))
        owner = self._owner(values.get("owner", ""), lookups, result)
        data["plan_period"] = self._period(values, lookups, result)
        fuel = values.get("fuel_type") or ""
        if fuel:
            data["fuel_type"] = lookups.fuels.get(sheet.normalise_header(fuel))
            if data["fuel_type"] is None:
                result.error("燃料类型", _("“%(value)s” is not a fuel type.") % {"value": fuel})
        else:
            data["fuel_type"] = ""
        if result.errors:
            return result
        for key in services.PROJECT_FIELDS:
            if key not in data and key in values:
                data[key] = values[key]
        amounts = {p: values.get(column) for p, column in AMOUNT_COLUMNS.items()}
        project = existing.get(number)
        if project is not None and project.owner_id != owner.pk:
            result.error(
                "项目编号",
                _("Project number %(number)s belongs to another owner's project.")
                % {"number": number},
            )
            return result
        try:
            services.validate_project(
                owner=owner, data=data, amounts=amounts, project=project, taken=taken
            )
        except services.ProjectError as error:
            for field, message in error.errors.items():
                result.error(FIELD_COLUMNS.get(field, "—"), message)
            return result
        result.values = {"owner": owner, "data": data, "amounts": amounts, "project": project}
        if project is None:
            result.status = RowStatus.NEW
        elif _same(project, data, amounts):
            result.status = RowStatus.UNCHANGED
        elif not self.user.has_perm("reductions.edit_project", project):
            result.error(
                "项目编号",
                _("Project %(number)s is %(status)s and can no longer be changed by an import.")
                % {"number": number, "status": project.get_status_display()},
            )
        else:
            result.status = RowStatus.UPDATE
        return result

    def _period(self, values, lookups: Lookups, result: RowResult) -> PlanPeriod | None:
        raw = values.get("plan_period") or ""
        if raw:
            period = lookups.periods.get(sheet.normalise_header(raw))
            if period is None:
                result.error("规划期", _("“%(value)s” is not a plan period.") % {"value": raw})
            return period
        year = values.get("accounting_year")
        for period in set(lookups.periods.values()):
            if year and period.start_year <= year <= period.end_year:
                return period
        if year:
            result.error("规划期", _("No plan period covers %(year)s.") % {"year": year})
        return None

    def apply(self, results: Iterable[RowResult], progress: Progress = _no_progress) -> int:
        """Write the new rows through create_projects (bulk) and every changed row through
        save_project, all or nothing."""
        results = list(results)
        new = [r for r in results if r.status == RowStatus.NEW]
        changed = [r for r in results if r.status == RowStatus.UPDATE]
        total = len(new) + len(changed)
        with transaction.atomic():
            for first in range(0, len(new), CREATE_BATCH):
                batch = new[first : first + CREATE_BATCH]
                services.create_projects(
                    user=self.user,
                    items=[
                        (r.values["owner"], r.values["data"], r.values["amounts"]) for r in batch
                    ],
                )
                progress(first + len(batch), total)
            for index, result in enumerate(changed, start=len(new) + 1):
                services.save_project(
                    user=self.user,
                    owner=result.values["owner"],
                    data=result.values["data"],
                    amounts=result.values["amounts"],
                    project=result.values["project"],
                )
                if index % 200 == 0:
                    progress(index, total)
        progress(total, total)
        return total


def _same(project: Project, data: dict, amounts: dict) -> bool:
    for key in services.PROJECT_FIELDS:
        if key not in data:
            continue
        current = getattr(project, key)
        wanted = data[key]
        if key == "credit_code":
            wanted = (wanted or "").strip().upper()
        if key in ("boiler_capacity", "sewage_capacity"):
            current = None if current is None else Decimal(current)
        if (current or None) != (wanted or None):
            return False
    claimed = {a.pollutant: a.claimed for a in project.amounts.all()}
    wanted = {p: a for p, a in amounts.items() if a}
    return claimed == wanted


# --- national certification results (国家核定结果) -------------------------------------


def result_columns() -> list[Column]:
    columns = [
        Column("number", "项目编号", "project number", sheet.required_text, width=14),
        Column("document_number", "核定文号", "document number", sheet.required_text, width=20),
        Column("document_date", "核定日期", "document date", sheet.date, width=12),
        Column("comment", "备注", "comment", sheet.text, required=False, width=24),
    ]
    for pollutant in Pollutant:
        columns.append(
            Column(
                AMOUNT_COLUMNS[pollutant.value],
                f"{_zh_symbol(pollutant)}核定量（吨/年）",
                f"{pollutant.symbol} certified (t/a)",
                sheet.amount,
                required=False,
                note=gettext_lazy("Blank keeps the amount as reviewed."),
                width=14,
            )
        )
    return columns


class NationalResultImporter:
    """The Ministry's results for KEY projects (国家核定), recorded as the workflow's
    national-result step of each project, matched by project number."""

    kind = "national-results"
    title = gettext_lazy("National certification results")

    def __init__(self, user: User):
        self.user = user
        self.columns = result_columns()

    @staticmethod
    def may_use(user: User) -> bool:
        return user.has_role(Role.MUNICIPAL_CLERK, Role.MUNICIPAL_APPROVER)

    def check(self, rows: list[Row], progress: Progress = _no_progress) -> list[RowResult]:
        from .selectors import visible_projects

        numbers = [sheet.text(r.cells.get("number")) for r in rows]
        projects = {
            p.number: p
            for p in visible_projects(self.user)
            .filter(number__in=[n for n in numbers if n])
            .exclude(number="")
            .order_by()
            .select_related("owner")
            .prefetch_related("amounts")
        }
        results, seen = [], {}
        for row in rows:
            result = RowResult(number=row.number)
            values = sheet.check_cells(row, self.columns, result)
            number = values.get("number") or ""
            result.label = number
            project = projects.get(number)
            if number in seen:
                result.error(
                    "项目编号",
                    _("Project number %(number)s is also on row %(row)s.")
                    % {"number": number, "row": seen[number]},
                )
            elif number:
                seen[number] = row.number
            if number and project is None:
                result.error(
                    "项目编号", _("No project has the number %(number)s.") % {"number": number}
                )
            if result.errors:
                results.append(result)
                continue
            amounts = {p: values[c] for p, c in AMOUNT_COLUMNS.items() if values.get(c) is not None}
            result.values = {"project": project, "amounts": amounts, **values}
            step = workflow.next_step(project)
            if (
                project.national_document == values["document_number"]
                and project.national_date == values["document_date"]
                and project.status != Status.DRAFT
                and (step is None or not step.records_national_result)
            ):
                result.status = RowStatus.UNCHANGED
            elif step is None or not step.records_national_result:
                result.error(
                    "项目编号",
                    _("Project %(number)s does not wait for a national result (%(status)s).")
                    % {"number": number, "status": project.get_status_display()},
                )
            elif not self.user.has_perm("reductions.review_project", project):
                result.error("项目编号", _("You may not record this project's national result."))
            else:
                result.status = RowStatus.UPDATE
            results.append(result)
        progress(len(rows), len(rows))
        return results

    def apply(self, results: Iterable[RowResult], progress: Progress = _no_progress) -> int:
        todo = [r for r in results if r.status == RowStatus.UPDATE]
        with transaction.atomic():
            for index, result in enumerate(todo, start=1):
                values = result.values
                project = values["project"]
                reviewed = {a.pollutant: a.claimed for a in project.amounts.all()}
                reviewed.update(values["amounts"])
                services.act(
                    project=project,
                    user=self.user,
                    action=workflow.APPROVE,
                    comment=values.get("comment") or "",
                    amounts=reviewed if values["amounts"] else None,
                    document_number=values["document_number"],
                    document_date=values["document_date"],
                )
                if index % 200 == 0:
                    progress(index, len(todo))
        progress(len(todo), len(todo))
        return len(todo)
