"""Evidence before submission, by a policy row per tier (seeded: KEY and PACKAGE)."""

import pytest
from django.urls import reverse

from reductions import services
from reductions.models import EvidencePolicy, Status
from tests.factories import UserFactory, attach_evidence, make_project

pytestmark = pytest.mark.django_db


def test_seeded_policy_rows():
    assert dict(EvidencePolicy.objects.values_list("tier", "evidence_required")) == {
        "KEY": True,
        "PACKAGE": True,
        "MICRO": False,
        "VOC_MGMT": False,
    }


NEEDS_EVIDENCE = "的项目提交前须至少上传一份证明材料。请先在项目页面添加证明材料，再提交。"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("6", "核算类别为“重点工程”" + NEEDS_EVIDENCE),
        ("2", "核算类别为“小额打包项目”" + NEEDS_EVIDENCE),
    ],
)
def test_key_and_package_projects_need_evidence_to_be_submitted(
    client_for, district_clerk, amount, message
):
    project = make_project(district_clerk, amounts={"COD": amount}, submit=False)
    client = client_for(district_clerk)
    url = reverse("reductions:act", args=[project.pk, "submit"])
    assert message in client.post(url, follow=True).content.decode()
    project.refresh_from_db()
    assert project.status == Status.DRAFT
    attach_evidence(project, district_clerk)
    client.post(url)
    project.refresh_from_db()
    assert project.status == Status.SUBMITTED


def test_micro_and_voc_management_projects_follow_their_own_rows(district_clerk):
    micro = make_project(district_clerk, amounts={"COD": "0.05"}, evidence=False)
    voc = make_project(
        district_clerk, code="VOC_MGMT_GENERIC", amounts={"VOCS": "2"}, evidence=False
    )
    assert (micro.status, voc.status) == (Status.SUBMITTED, Status.SUBMITTED)
    EvidencePolicy.objects.filter(tier="MICRO").update(evidence_required=True)
    with pytest.raises(services.ProjectError) as refused:
        make_project(district_clerk, amounts={"COD": "0.05"}, evidence=False)
    assert refused.value.code == "evidence_required"


def test_the_policy_is_edited_in_admin(client, bureau, district_clerk):
    admin = UserFactory(is_staff=True, is_superuser=True, entity=bureau)
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    key = EvidencePolicy.objects.get(tier="KEY")
    response = client.post(
        f"/admin/reductions/evidencepolicy/{key.pk}/change/",
        {"tier": "KEY", "evidence_required": "", "note": "试行期间暂不要求"},
    )
    assert response.status_code == 302
    project = make_project(district_clerk, amounts={"COD": "6"}, evidence=False)
    assert project.status == Status.SUBMITTED
