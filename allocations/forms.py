from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ledger.models import Entity, EntityKind, Pollutant
from reductions.models import Industry, PlanPeriod

from .models import AreaStatus


class RoundForm(forms.Form):
    plan_period = forms.ModelChoiceField(label=_("Plan period"), queryset=PlanPeriod.objects.all())
    as_of = forms.DateField(
        label=_("As of"), initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )


class AdjustForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount (t/a)"), max_digits=15, decimal_places=3, min_value=0
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, max_length=1000)


class TargetForm(forms.Form):
    entity = forms.ModelChoiceField(
        label=_("Entity"),
        queryset=Entity.objects.filter(
            kind__in=[EntityKind.DISTRICT, EntityKind.COMMITTEE, EntityKind.ENTERPRISE]
        ),
    )
    plan_period = forms.ModelChoiceField(label=_("Plan period"), queryset=PlanPeriod.objects.all())
    pollutant = forms.ChoiceField(label=_("Pollutant"), choices=Pollutant.choices)
    amount = forms.DecimalField(label=_("Target (t)"), max_digits=15, decimal_places=3, min_value=0)
    reason = forms.CharField(label=_("Reason for a change"), required=False, max_length=300)


class ProgressForm(forms.Form):
    plan_period = forms.ModelChoiceField(
        label=_("Plan period"), queryset=PlanPeriod.objects.all(), required=False
    )
    as_of = forms.DateField(
        label=_("As of"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class ConstructionForm(forms.Form):
    name = forms.CharField(label=_("Project name"), max_length=200)
    builder = forms.CharField(label=_("Builder"), max_length=200)
    eia_number = forms.CharField(label=_("EIA approval number"), max_length=100)
    district = forms.ModelChoiceField(
        label=_("District"),
        queryset=Entity.objects.filter(kind__in=[EntityKind.DISTRICT, EntityKind.COMMITTEE]),
    )
    industry = forms.ModelChoiceField(label=_("Industry"), queryset=Industry.objects.all())
    area_status = forms.ChoiceField(label=_("Area status"), choices=AreaStatus.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for pollutant in Pollutant:
            self.fields[f"emission_{pollutant.value}"] = forms.DecimalField(
                label=_("New %(p)s emission (t/a)") % {"p": pollutant.symbol},
                required=False,
                max_digits=15,
                decimal_places=3,
                min_value=0,
            )

    def project_data(self) -> dict:
        return {
            k: self.cleaned_data[k]
            for k in ("name", "builder", "eia_number", "district", "industry", "area_status")
        }

    def emissions(self) -> dict:
        return {p.value: self.cleaned_data.get(f"emission_{p.value}") for p in Pollutant}


class UseRequestForm(forms.Form):
    """For each pollutant the project emits: how much each drawable ledger covers."""

    def __init__(self, *args, project=None, sources=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.sources = list(sources)
        for emission in project.emissions.all():
            for entity in self.sources:
                self.fields[f"cover_{emission.pollutant}_{entity.pk}"] = forms.DecimalField(
                    label=_("%(p)s covered from %(e)s (t/a)")
                    % {"p": Pollutant(emission.pollutant).symbol, "e": entity.name},
                    required=False,
                    max_digits=15,
                    decimal_places=3,
                    min_value=0,
                    initial=emission.amount if entity == self.sources[0] else None,
                )

    def lines(self) -> list:
        result = []
        for name, value in self.cleaned_data.items():
            _cover, pollutant, entity_pk = name.split("_")
            entity = next(e for e in self.sources if str(e.pk) == entity_pk)
            result.append((entity, pollutant, value))
        return result
