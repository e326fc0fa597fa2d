"""Input shape only; the rules (tier, pollutants of a type, credit code) live in services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ledger.models import Pollutant, PollutantCategory
from ledger.widgets import ISODateInput

from .models import Industry, PlanPeriod, Project, ProjectType, Status, Tier
from .services import PROJECT_FIELDS, SIZE_MESSAGES
from .type_parameters import TYPE_PARAMETER_FIELDS, type_parameter_fields

AMOUNT_FIELDS = {p.value: f"amount_{p.value}" for p in Pollutant}


def amount_field(label) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=15,
        decimal_places=3,
        min_value=0,
        widget=forms.NumberInput(attrs={"step": "0.001", "min": "0", "data-amount": "1"}),
    )


class OptionDataSelect(forms.Select):
    """A select whose options carry data attributes: ``option_data`` maps an option's value
    to its extra attributes (the page reads them; the server decided them)."""

    def __init__(self, attrs=None, choices=(), option_data=None):
        super().__init__(attrs, choices)
        self.option_data = option_data or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        extra = self.option_data.get(str(value))
        if extra:
            option["attrs"] = {**option["attrs"], **extra}
        return option


class ProjectForm(forms.ModelForm):
    """The project form in three sections. A type parameter (类型参数) shows only for the
    types that need it (``type_parameters``) and is ignored for the others; the amounts
    show for the pollutants of the chosen type."""

    SECTIONS = (
        (
            "basic",
            _("Basic information"),
            (
                "number",
                "name",
                "enterprise_name",
                "credit_code",
                "industry",
                "measure",
                "plan_period",
                "accounting_year",
                "completion_date",
            ),
        ),
        ("type", _("Type parameters"), ("project_type", *TYPE_PARAMETER_FIELDS)),
        ("amounts", _("Reductions"), tuple(AMOUNT_FIELDS.values())),
    )

    class Meta:
        model = Project
        fields = list(PROJECT_FIELDS)
        widgets = {
            "completion_date": ISODateInput(),
            "measure": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.type_fields = type_parameter_fields()
        self._group_industries()
        self._group_types()
        self.fields["plan_period"].queryset = PlanPeriod.objects.all()
        for pollutant in Pollutant:
            self.fields[AMOUNT_FIELDS[pollutant.value]] = amount_field(
                _("%(pollutant)s reduction (t/a)") % {"pollutant": pollutant.label}
            )
        if self.instance.pk:
            for row in self.instance.amounts.all():
                self.initial[AMOUNT_FIELDS[row.pollutant]] = row.claimed

    def _group_industries(self) -> None:
        """Industries under their GB/T 4754 section (门类), as option groups."""
        field = self.fields["industry"]
        field.queryset = Industry.objects.select_related("section").order_by("code")
        groups: dict = {}
        for industry in field.queryset:
            groups.setdefault(industry.section, []).append((industry.pk, str(industry)))
        field.choices = [("", field.empty_label), *((str(s), rows) for s, rows in groups.items())]

    def _group_types(self) -> None:
        """Types grouped by category (大气 / 水), each option naming the parameters and the
        pollutants of its type. Headings (types with sub-types) are not offered: a project
        picks a sub-type."""
        field = self.fields["project_type"]
        field.queryset = ProjectType.objects.filter(subtypes__isnull=True).select_related("parent")
        self.types = {t.pk: t for t in field.queryset}
        option_data, groups = {}, {c: [] for c in PollutantCategory.values}
        for project_type in self.types.values():
            groups.setdefault(project_type.category, []).append(
                (project_type.pk, str(project_type))
            )
            option_data[str(project_type.pk)] = {
                "data-fields": " ".join(self.type_fields.get(project_type.pk, ())),
                "data-pollutants": " ".join(project_type.pollutants),
            }
        field.widget = OptionDataSelect(attrs=field.widget.attrs, option_data=option_data)
        field.widget.is_required = field.required
        field.choices = [
            ("", field.empty_label),
            *(
                (PollutantCategory(category).label, rows)
                for category, rows in groups.items()
                if rows
            ),
        ]

    def chosen_type(self) -> ProjectType | None:
        """The type as posted (or stored); None when none or not one offered."""
        value = self["project_type"].value()
        try:
            return self.types.get(int(value))
        except (TypeError, ValueError):
            return None

    def needed_parameters(self, project_type: ProjectType | None) -> tuple[str, ...]:
        return self.type_fields.get(project_type.pk, ()) if project_type else ()

    def sections(self) -> list[dict]:
        """The fieldsets to render: each field with what the page needs to show or hide it.
        Before a type is chosen nothing is hidden (the page's script hides the type's
        fields; without it every field stays usable); a field with an error always shows."""
        chosen = self.chosen_type()
        needed = self.needed_parameters(chosen)
        sections = []
        for key, legend, names in self.SECTIONS:
            rows = []
            for name in names:
                bound = self[name]
                row = {"field": bound, "parameter": "", "pollutant": "", "hidden": False}
                if name in TYPE_PARAMETER_FIELDS:
                    row["parameter"] = name
                    row["hidden"] = chosen is not None and name not in needed
                elif name in AMOUNT_FIELDS.values():
                    pollutant = name.removeprefix("amount_")
                    row["pollutant"] = pollutant
                    row["hidden"] = chosen is not None and pollutant not in chosen.pollutants
                if bound.errors:
                    row["hidden"] = False
                rows.append(row)
            sections.append({"key": key, "legend": legend, "rows": rows})
        return sections

    def clean(self):
        """A type parameter the chosen type does not use is not kept (a value typed before the
        type changed is stale). Nonsense is still refused there as anywhere — not a number,
        or a size not above 0 (the service's check and message) — and the page then shows
        the field with its message, whatever the type. The page's script does not post a
        hidden field at all."""
        cleaned = super().clean()
        project_type = cleaned.get("project_type")
        if project_type is not None:
            needed = self.needed_parameters(project_type)
            for name in TYPE_PARAMETER_FIELDS:
                if name in needed or name not in cleaned:
                    continue
                value = cleaned[name]
                if name in SIZE_MESSAGES and value is not None and not value > 0:
                    continue  # left for the service to refuse
                cleaned[name] = self.fields[name].to_python(None)
        return cleaned

    def amounts(self) -> dict:
        return {p: self.cleaned_data.get(f) for p, f in AMOUNT_FIELDS.items()}

    def project_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}


class ReviewForm(forms.Form):
    """A review step: approve (certify, record the national result) or return to the maker.

    What is required depends on the button: a return needs its reason; recording the
    Ministry's result needs the document number and date. ``action`` is the posted one (None
    when the page is only shown: the fields are then marked as the approval needs them)."""

    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when you return the project: say why."),
    )
    document_number = forms.CharField(
        label=_("National document no."), required=False, max_length=100
    )
    document_date = forms.DateField(
        label=_("National certification date"),
        required=False,
        widget=ISODateInput(),
    )

    def __init__(self, *args, project=None, national: bool = False, action=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action
        if not national:
            # Only the step that records the Ministry's result asks for its document.
            del self.fields["document_number"]
            del self.fields["document_date"]
        elif action != "return":
            self.fields["document_number"].required = True
            self.fields["document_date"].required = True
        for row in project.amounts.all() if project else []:
            self.fields[AMOUNT_FIELDS[row.pollutant]] = amount_field(
                _("%(pollutant)s as reviewed (t/a)") % {"pollutant": Pollutant(row.pollutant).label}
            )
            self.initial[AMOUNT_FIELDS[row.pollutant]] = (
                row.certified if row.certified is not None else row.claimed
            )

    def clean(self):
        cleaned = super().clean()
        if self.action == "return" and not (cleaned.get("comment") or "").strip():
            self.add_error("comment", _("Say why the project is returned."))
        return cleaned

    def amounts(self) -> dict:
        return {p: self.cleaned_data[f] for p, f in AMOUNT_FIELDS.items() if f in self.cleaned_data}


class SubmitForm(forms.Form):
    """Submission; an enterprise submitting its own small package records its national
    filing with it (the service says what is missing)."""

    filing_number = forms.CharField(label=_("National filing no."), required=False, max_length=100)
    filing_date = forms.DateField(
        label=_("National filing date"),
        required=False,
        widget=ISODateInput(),
    )

    def __init__(self, *args, filing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not filing:
            self.fields.clear()


class FilingForm(forms.Form):
    filing_number = forms.CharField(label=_("National filing no."), max_length=100)
    filing_date = forms.DateField(label=_("National filing date"), widget=ISODateInput())


class RejectFilingForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why the filing is rejected.")},
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("Evidence (PDF, image or XLSX, at most 10 MB)"))


class ProjectFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", "—"), *Status.choices]
    )
    tier = forms.ChoiceField(label=_("Tier"), required=False, choices=[("", "—"), *Tier.choices])
    project_type = forms.ModelChoiceField(
        label=_("Project type"),
        required=False,
        queryset=ProjectType.objects.select_related("parent"),
    )
    year = forms.IntegerField(
        label=_("Accounting year"), required=False, min_value=2000, max_value=2100
    )
    period = forms.ModelChoiceField(
        label=_("Plan period"),
        required=False,
        queryset=PlanPeriod.objects.all(),
        to_field_name="code",
    )
    owner = forms.CharField(label=_("Entity code"), required=False, max_length=32)
    pollutant = forms.ChoiceField(
        label=_("Pollutant"), required=False, choices=[("", "—"), *Pollutant.choices]
    )

    def params(self) -> dict:
        """The filters ``selectors.filter_projects`` takes: those with a valid value (a bad
        one shows as an error under its field, the others still apply); none unbound."""
        if not self.is_bound:
            return {}
        self.is_valid()
        params = {k: v for k, v in self.cleaned_data.items() if v}
        if params.get("project_type"):
            params["project_type"] = params["project_type"].pk
        if params.get("period"):
            params["period"] = params["period"].pk
        return params
