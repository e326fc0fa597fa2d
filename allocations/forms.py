"""Input shape only; the rules live in services and the database."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ledger.models import Entity, Pollutant, Role
from ledger.widgets import ISODateInput
from reductions.models import Industry, PlanPeriod

from .models import AreaStatus, ReserveSource, TradeDirection
from .services import MAX_COMMENT, OWNER_KINDS

# The smallest legal amount is one kilogram; compared as a Decimal, never a float.
MIN_AMOUNT = Decimal("0.001")


def amount_field(**kwargs) -> forms.DecimalField:
    kwargs.setdefault("label", _("Amount (t/a)"))
    return forms.DecimalField(max_digits=15, decimal_places=3, **kwargs)


def comment_field(label=None, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label or _("Comment"),
        required=required,
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RoundForm(forms.Form):
    plan_period = forms.ModelChoiceField(label=_("Plan period"), queryset=PlanPeriod.objects.all())
    as_of = forms.DateField(label=_("As of"), initial=timezone.localdate, widget=ISODateInput())


class AdjustForm(forms.Form):
    """Lower one line of a draft round: never above its proposal."""

    amount = amount_field(label=_("Lowered amount (t/a)"), min_value=0)
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args, line, **kwargs):
        super().__init__(*args, **kwargs)
        self.line = line
        self.fields["amount"].widget.attrs["max"] = f"{line.proposed:.3f}"


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, max_length=MAX_COMMENT)


class TargetForm(forms.Form):
    entity = forms.ModelChoiceField(
        label=_("Entity"), queryset=Entity.objects.filter(kind__in=OWNER_KINDS)
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
        label=_("As of"), required=False, initial=timezone.localdate, widget=ISODateInput()
    )


def owner_choices(user):
    """Whose projects or trades the user may enter: its own entity, or any for a municipal
    clerk."""
    entities = Entity.objects.filter(kind__in=OWNER_KINDS, is_active=True).order_by("kind", "code")
    if user.has_role(Role.MUNICIPAL_CLERK):
        return entities
    return entities.filter(pk=user.entity_id) if user.entity_id else entities.none()


class ConstructionForm(forms.Form):
    name = forms.CharField(label=_("Project name"), max_length=200)
    builder = forms.CharField(label=_("Builder"), max_length=200)
    eia_number = forms.CharField(label=_("EIA approval number"), max_length=100)
    owner = forms.ModelChoiceField(
        label=_("District or municipal enterprise"), queryset=Entity.objects.none()
    )
    industry = forms.ModelChoiceField(label=_("Industry"), queryset=Industry.objects.all())
    area_status = forms.ChoiceField(label=_("Area status"), choices=AreaStatus.choices)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owner_choices(user)
        if user.entity_id and user.entity.kind in OWNER_KINDS:
            self.fields["owner"].initial = user.entity_id
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
            for k in ("name", "builder", "eia_number", "owner", "industry", "area_status")
        }

    def emissions(self) -> dict:
        return {p.value: self.cleaned_data.get(f"emission_{p.value}") for p in Pollutant}


class UseRequestForm(forms.Form):
    """For each pollutant the project emits: how much each drawable ledger covers. The owner's
    own ledger comes first and is offered the whole emission; every field shows what is
    available there now."""

    def __init__(self, *args, project=None, sources=(), available=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.sources = list(sources)
        available = available or {}
        for emission in project.emissions.all():
            for entity in self.sources:
                self.fields[f"cover_{emission.pollutant}_{entity.pk}"] = forms.DecimalField(
                    label=_("%(p)s covered from %(e)s (t/a; %(a)s t available now)")
                    % {
                        "p": Pollutant(emission.pollutant).symbol,
                        "e": entity.name,
                        "a": available.get((entity.pk, emission.pollutant), "0.000"),
                    },
                    required=False,
                    max_digits=15,
                    decimal_places=3,
                    min_value=0,
                    initial=emission.amount if entity == self.sources[0] else None,
                )

    def lines(self) -> list:
        by_pk = {str(e.pk): e for e in self.sources}
        result = []
        for name, value in self.cleaned_data.items():
            _cover, pollutant, entity_pk = name.split("_")
            result.append((by_pk[entity_pk], pollutant, value))
        return result


class EvidenceField(forms.FileField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Evidence (PDF, PNG, JPEG or XLSX, at most 10 MB)"))
        kwargs.setdefault("max_length", 255)
        super().__init__(**kwargs)


class TradeRecordForm(forms.Form):
    entity = forms.ModelChoiceField(label=_("Ledger"), queryset=Entity.objects.none())
    direction = forms.ChoiceField(label=_("Direction"), choices=TradeDirection.choices)
    certificate_number = forms.CharField(
        label=_("Trade certificate or contract number"), max_length=100
    )
    counterparty = forms.CharField(label=_("Counterparty"), max_length=200)
    trade_date = forms.DateField(label=_("Trade date"), widget=ISODateInput())
    pollutant = forms.ChoiceField(label=_("Pollutant"), choices=Pollutant.choices)
    amount = amount_field(min_value=MIN_AMOUNT)
    evidence = EvidenceField()
    memo = comment_field(label=_("Memo"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity"].queryset = owner_choices(user)
        if user.entity_id and user.entity.kind in OWNER_KINDS:
            self.fields["entity"].initial = user.entity_id


class ReserveIntakeForm(forms.Form):
    source = forms.ChoiceField(label=_("Source"), choices=ReserveSource.choices)
    source_other = forms.CharField(label=_("Source, when “other”"), required=False, max_length=200)
    intake_date = forms.DateField(label=_("Date"), widget=ISODateInput())
    pollutant = forms.ChoiceField(label=_("Pollutant"), choices=Pollutant.choices)
    amount = amount_field(min_value=MIN_AMOUNT)
    evidence = EvidenceField()
    memo = comment_field(label=_("Memo"))

    def clean(self):
        data = super().clean()
        if data.get("source") == ReserveSource.OTHER and not data.get("source_other"):
            self.add_error("source_other", _("Say where the quota comes from."))
        return data


class DecideForm(forms.Form):
    comment = comment_field()
