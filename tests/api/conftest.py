import pytest
from knox.models import get_token_model
from rest_framework.test import APIClient

from ledger.models import Role


@pytest.fixture
def reporter(make_user, bureau):
    return make_user(Role.REPORTING_CLIENT, bureau, username="reporter")


@pytest.fixture
def token_for():
    """A client that authenticates with a fresh knox token of ``user`` (no session)."""

    def make(user) -> APIClient:
        _token, secret = get_token_model().objects.create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
        return client

    return make


@pytest.fixture
def world(
    municipal_clerk,
    district_clerk,
    other_district_clerk,
    municipal_approver,
    pudong,
    xuhui,
):
    """Records of two districts in every resource: Pudong's and Xuhui's quota, projects,
    construction requests (with holds) and trade records."""
    import datetime
    from decimal import Decimal

    from django.core.files.uploadedfile import SimpleUploadedFile

    from allocations import services as allocation_services
    from allocations import trades
    from reductions.models import Industry
    from tests.factories import EVIDENCE_PDF, fund, make_project

    records = {}
    for entity, clerk, code in ((pudong, district_clerk, "P"), (xuhui, other_district_clerk, "X")):
        fund(entity, "COD", "5", user=municipal_clerk, key=f"world-{code}")
        records[f"{code}_project"] = make_project(clerk, amounts={"COD": "2"})
        construction = allocation_services.save_construction_project(
            user=clerk,
            data={
                "name": "新建涂装线",
                "builder": "上海某制造有限公司",
                "eia_number": f"沪环评〔2026〕{code}号",
                "owner": entity,
                "industry": Industry.objects.get(code="36"),
                "area_status": "ATTAINMENT",
            },
            emissions={"COD": Decimal("1")},
        )
        records[f"{code}_construction"] = allocation_services.request_use(
            project=construction, user=clerk, lines=[(entity, "COD", Decimal("1"))]
        )
        records[f"{code}_trade"] = trades.record_trade(
            user=clerk,
            entity=entity,
            direction="ACQUIRED",
            certificate_number=f"JY-{code}",
            counterparty="某公司",
            trade_date=datetime.date(2025, 3, 1),
            pollutant="COD",
            amount=Decimal("1"),
            evidence=SimpleUploadedFile("凭证.pdf", EVIDENCE_PDF),
        )
    return records
