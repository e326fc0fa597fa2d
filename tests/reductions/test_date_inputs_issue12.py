"""Every date input of the app carries an ISO value in the Chinese UI (issue 12, item 1):
browsers take only YYYY-MM-DD in <input type="date">, and the zh-hans format (2025/09/30)
left the field blank, so nothing could be saved without retyping the date."""

import datetime
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
from django import forms
from django.urls import reverse
from django.utils import translation

from ledger.widgets import ISODateInput

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
APPS = ("ledger", "reductions", "allocations", "quota_ledger")
SKIPPED = (".migrations", ".management", ".admin")  # the admin has its own date widgets
DATE_INPUT = re.compile(r'<input type="date"[^>]*>')


def _modules():
    for app in APPS:
        package = importlib.import_module(app)
        yield package
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
            if not any(part in info.name for part in SKIPPED):
                yield importlib.import_module(info.name)


def _form_classes() -> set[type]:
    found = set()
    for module in _modules():
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__.startswith(APPS):
                found.add(cls)
    return found


def _date_fields():
    for cls in sorted(_form_classes(), key=lambda c: (c.__module__, c.__name__)):
        for name, field in cls.base_fields.items():
            if isinstance(field, forms.DateField):
                yield f"{cls.__module__}.{cls.__name__}.{name}", field


def test_every_date_field_of_every_form_renders_iso_in_chinese():
    fields = list(_date_fields())
    # The walk reaches the forms of views modules too (reports, imports), not only forms.py.
    names = {name.rsplit(".", 1)[0] for name, _f in fields}
    assert "allocations.report_views.SummaryForm" in names
    assert "reductions.forms.ProjectForm" in names  # a model form's date fields too
    assert len(fields) >= 10, fields
    wrong = []
    with translation.override("zh-hans"):
        for name, field in fields:
            if isinstance(field.widget, forms.HiddenInput):
                continue
            html = field.widget.render("d", datetime.date(2025, 9, 30))
            if not (isinstance(field.widget, ISODateInput) and 'value="2025-09-30"' in html):
                wrong.append(f"{name}: {html}")
    assert wrong == []


def test_model_forms_use_the_iso_date_input_for_their_date_fields():
    from reductions.forms import ProjectForm

    with translation.override("zh-hans"):
        form = ProjectForm(initial={"completion_date": datetime.date(2025, 9, 30)})
        html = str(form["completion_date"])
    assert 'type="date"' in html and 'value="2025-09-30"' in html


def test_no_template_writes_a_date_input_by_hand():
    """A hand-written <input type="date"> would skip the widget and its ISO format."""
    templates = [
        path
        for folder in ("templates", *APPS)
        for path in (ROOT / folder).rglob("*.html")
        if "node_modules" not in path.parts
    ]
    assert templates
    by_hand = [str(p.relative_to(ROOT)) for p in templates if 'type="date"' in p.read_text()]
    assert by_hand == []


@pytest.mark.parametrize(
    ("role", "url_name", "args", "query"),
    [
        ("district_clerk", "reductions:new", [], {}),
        ("municipal_clerk", "allocations:overview", [], {"as_of": "2025-09-30"}),
        ("municipal_clerk", "allocations:rounds", [], {}),
        ("municipal_clerk", "reports:summary", [], {"as_of": "2025-09-30"}),
        ("municipal_clerk", "allocations:reserve_intake_new", [], {}),
        ("enterprise_user", "allocations:trade_new", [], {}),
        ("district_clerk", "ledger:entity", ["310115"], {}),
    ],
)
def test_pages_show_their_dates_iso_in_chinese(request, client_for, role, url_name, args, query):
    user = request.getfixturevalue(role)
    response = client_for(user).get(reverse(url_name, args=args), query)
    assert response.status_code == 200, url_name
    page = response.content.decode()
    assert 'lang="zh-hans"' in page
    inputs = DATE_INPUT.findall(page)
    assert inputs, f"{url_name} shows no date input"
    for tag in inputs:
        value = re.search(r'value="([^"]*)"', tag)
        assert value is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.group(1)), tag
    if query.get("as_of"):
        assert any('value="2025-09-30"' in tag for tag in inputs)
