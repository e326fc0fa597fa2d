"""Input shape only; the rules (tier, pollutants of a type, credit code) live in services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ledger.models import Pollutant
from ledger.widgets import ISODateInput

from .models import Industry, PlanPeriod, Project, ProjectType, Status, Tier
from .services import PROJECT_FIELDS

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


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = list(PROJECT_FIELDS)
        widgets = {
            "completion_date": ISODateInput(),
            "measure": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["industry"].queryset = Industry.objects.all()
        # Headings (types with sub-types) are not offered: a project picks a sub-type.
        self.fields["project_type"].queryset = ProjectType.objects.filter(
            subtypes__isnull=True
        ).select_related("parent")
        self.fields["plan_period"].queryset = PlanPeriod.objects.all()
        for pollutant in Pollutant:
            self.fields[AMOUNT_FIELDS[pollutant.value]] = amount_field(
                _("%(pollutant)s reduction (t/a)") % {"pollutant": pollutant.label}
            )
        if self.instance.pk:
            for row in self.instance.amounts.all():
                self.initial[AMOUNT_FIELDS[row.pollutant]] = row.claimed

    def amounts(self) -> dict:
        return {p: self.cleaned_data.get(f) for p, f in AMOUNT_FIELDS.items()}

    def project_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    document_number = forms.CharField(
        label=_("National document no."), required=False, max_length=100
    )
    document_date = forms.DateField(
        label=_("National certification date"),
        required=False,
        widget=ISODateInput(),
    )

    def __init__(self, *args, project=None, national: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not national:
            # Only the step that records the Ministry's result asks for its document.
            del self.fields["document_number"]
            del self.fields["document_date"]
        for row in project.amounts.all() if project else []:
            self.fields[AMOUNT_FIELDS[row.pollutant]] = amount_field(
                _("%(pollutant)s as reviewed (t/a)") % {"pollutant": Pollutant(row.pollutant).label}
            )
            self.initial[AMOUNT_FIELDS[row.pollutant]] = (
                row.certified if row.certified is not None else row.claimed
            )

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
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


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
    owner = forms.CharField(label=_("Entity code"), required=False, max_length=32)
    pollutant = forms.ChoiceField(
        label=_("Pollutant"), required=False, choices=[("", "—"), *Pollutant.choices]
    )

    def params(self) -> dict:
        """The filters ``selectors.filter_projects`` takes, from valid input only."""
        params = {k: v for k, v in self.cleaned_data.items() if v}
        if params.get("project_type"):
            params["project_type"] = params["project_type"].pk
        return params
