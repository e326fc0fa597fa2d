"""Input shape only; the rules live in services and the database."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Entity, Pollutant
from .widgets import ISODateInput


class AmountField(forms.DecimalField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 15)
        kwargs.setdefault("decimal_places", 3)
        kwargs.setdefault("label", _("Amount (t/a)"))
        super().__init__(**kwargs)


class StatementFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=ISODateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=ISODateInput())

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The start date is after the end date."))
        return data


class StatementPositionForm(forms.Form):
    """Where a statement page starts: a date to jump to, or the neighbour of a page."""

    date = forms.DateField(label=_("Go to date"), required=False, widget=ISODateInput())
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    after = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)


def entity_choices():
    return Entity.objects.filter(is_active=True).order_by("kind", "code")


class AdjustmentForm(forms.Form):
    entity = forms.ModelChoiceField(label=_("Entity"), queryset=Entity.objects.none())
    pollutant = forms.ChoiceField(label=_("Pollutant"), choices=Pollutant.choices)
    amount = AmountField(label=_("Amount (t/a; negative to debit)"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity"].queryset = entity_choices()

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError(_("The amount must not be zero."))
        return amount


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))], widget=forms.HiddenInput
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=1000)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ExportForm(StatementFilterForm):
    pass
