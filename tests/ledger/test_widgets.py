"""Date inputs carry ISO values in every language, so browsers show them and post them back."""

import datetime
import inspect
import re
from decimal import Decimal

import pytest
from django import forms
from django.urls import reverse
from django.utils import timezone, translation

import allocations.forms
import ledger.forms
import reductions.forms
from ledger import services as ledger_services
from ledger.widgets import ISODateInput
from tests.factories import make_project
from tests.html_forms import form_values

pytestmark = pytest.mark.django_db


def date_input(html: str, name: str) -> str:
    match = re.search(rf'<input type="date" name="{name}"[^>]*>', html)
    assert match, f"no date input {name}"
    return match.group(0)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_widget_renders_iso_in_every_language(language):
    with translation.override(language):
        html = ISODateInput().render("d", datetime.date(2025, 9, 30))
    assert 'type="date"' in html and 'value="2025-09-30"' in html


@pytest.mark.parametrize("typed", ["2025-09-30", "2025/09/30"])
def test_chinese_date_field_parses_iso_and_the_local_format(typed):
    with translation.override("zh-hans"):
        field = forms.DateField(widget=ISODateInput())
        assert field.clean(typed) == datetime.date(2025, 9, 30)


def test_edit_form_shows_the_completion_date_and_saves_when_posted_back_unchanged(
    client_for, district_clerk
):
    project = make_project(
        district_clerk,
        submit=False,
        completion_date=datetime.date(2025, 9, 30),
        amounts={"COD": "2.5"},
    )
    client = client_for(district_clerk)
    url = reverse("reductions:edit", args=[project.pk])
    page = client.get(url).content.decode()
    assert 'lang="zh-hans"' in page
    assert 'value="2025-09-30"' in date_input(page, "completion_date")

    data = form_values(page, "project-form")
    assert data["completion_date"] == "2025-09-30"
    response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()
    assert response.url == reverse("reductions:detail", args=[project.pk])
    project.refresh_from_db()
    assert project.completion_date == datetime.date(2025, 9, 30)
    assert project.amounts.get().claimed == Decimal("2.500")


def test_progress_page_shows_the_as_of_date(client_for, municipal_clerk):
    client = client_for(municipal_clerk)
    page = client.get(reverse("allocations:overview")).content.decode()
    today = timezone.localdate().isoformat()
    assert f'value="{today}"' in date_input(page, "as_of")
    page = client.get(reverse("allocations:overview"), {"as_of": "2025-09-30"}).content.decode()
    assert 'value="2025-09-30"' in date_input(page, "as_of")


def test_statement_jump_keeps_the_date(client_for, district_clerk, pudong):
    account = ledger_services.entity_account(pudong, "COD")
    url = reverse("ledger:account", args=[account.pk])
    page = client_for(district_clerk).get(url, {"date": "2025-01-01"}).content.decode()
    assert 'value="2025-01-01"' in date_input(page, "date")


def _form_classes():
    for module in (ledger.forms, reductions.forms, allocations.forms):
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                yield cls


def test_every_date_field_in_every_app_uses_the_iso_date_input():
    checked = [
        (cls.__name__, name)
        for cls in _form_classes()
        for name, field in cls.base_fields.items()
        if isinstance(field, forms.DateField)
        and not isinstance(field.widget, ISODateInput | forms.HiddenInput)
    ]
    assert checked == []
    assert any(
        isinstance(f, forms.DateField) for c in _form_classes() for f in c.base_fields.values()
    )
