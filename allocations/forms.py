from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ledger.models import Entity, EntityKind, Pollutant
from reductions.models import PlanPeriod


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
