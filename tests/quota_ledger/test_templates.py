"""The shared templates: form errors tied to their fields, flash messages announced."""

import re

import pytest
from django.urls import reverse

from ledger import services

pytestmark = pytest.mark.django_db


def element_with_id(html: str, element_id: str) -> str:
    match = re.search(rf'<(\w+)[^>]* id="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, f"nothing has id {element_id}"
    return match.group(2)


def input_tag(html: str, name: str) -> str:
    match = re.search(rf'<input [^>]*name="{name}"[^>]*>', html)
    assert match, f"no input {name}"
    return match.group(0)


def test_field_error_is_linked_to_its_input(client_for, district_clerk):
    response = client_for(district_clerk).post(reverse("reductions:new"), {"amount_COD": "x"})
    html = response.content.decode()
    tag = input_tag(html, "amount_COD")
    assert 'aria-invalid="true"' in tag
    assert 'aria-describedby="id_amount_COD_error"' in tag
    assert "输入一个数字" in element_with_id(html, "id_amount_COD_error")


def test_help_text_is_linked_to_its_input(client_for, district_clerk):
    html = client_for(district_clerk).get(reverse("password_change")).content.decode()
    assert 'aria-describedby="id_new_password1_helptext"' in input_tag(html, "new_password1")
    assert "密码" in element_with_id(html, "id_new_password1_helptext")


def test_success_message_is_a_status_and_error_message_an_alert(
    client_for, municipal_clerk, municipal_approver, pudong
):
    client = client_for(municipal_clerk)
    html = client.post(
        reverse("ledger:adjustment_new"),
        {"entity": pudong.pk, "pollutant": "VOCS", "amount": "1.5", "reason": "期初余额"},
        follow=True,
    ).content.decode()
    assert re.search(r'<p class="success" role="status">[^<]+</p>', html), html

    proposal = services.propose_adjustment(
        account=services.entity_account(pudong, "NOX"), amount="2", reason="x", user=municipal_clerk
    )
    approver = client_for(municipal_approver)
    html = approver.post(
        reverse("ledger:adjustment_decide", args=[proposal.pk]),
        {"decision": "reject", "comment": ""},
        follow=True,
    ).content.decode()
    assert re.search(r'<p class="error" role="alert">[^<]+</p>', html), html
    assert services.entity_account(pudong, "NOX").balance == 0
