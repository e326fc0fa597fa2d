import datetime
import uuid
from decimal import Decimal

import factory
from django.db import transaction

from ledger import services
from ledger.models import Entity, EntityKind, User


class EntityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entity

    kind = EntityKind.ENTERPRISE
    code = factory.Sequence(lambda n: f"T-{n:04d}")
    name_zh = factory.Sequence(lambda n: f"测试主体{n}")
    name_en = factory.Sequence(lambda n: f"Test entity {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct-horse-battery")
    entity = factory.SubFactory(EntityFactory)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            services.set_roles(user=self, roles=extracted)


def fund(entity: Entity, pollutant: str, amount, *, user: User, key: str | None = None):
    """Give an entity quota through an allocation, as the allocation round will."""
    return services.credit_entity(
        kind="ALLOCATION",
        source="ALLOCATION_POOL",
        entity=entity,
        pollutant=pollutant,
        amount=Decimal(str(amount)),
        idempotency_key=key or f"test-fund:{uuid.uuid4()}",
        user=user,
    )


VALID_CREDIT_CODE = "91310000132200821H"


def project_data(code: str = "W_STRUCTURE", **overrides) -> dict:
    """Form-shaped input for reductions.services.save_project."""
    from reductions.models import Industry, PlanPeriod, ProjectType

    data = {
        "name": "示例减排项目",
        "enterprise_name": "上海示例化工有限公司",
        "credit_code": VALID_CREDIT_CODE,
        "industry": Industry.objects.get(code="26"),
        "project_type": ProjectType.objects.get(code=code),
        "measure": "污水深度处理改造",
        "plan_period": PlanPeriod.objects.get(code="14FYP"),
        "accounting_year": 2025,
        "completion_date": datetime.date(2025, 6, 30),
        "boiler_capacity": None,
        "sewage_capacity": None,
        "fuel_type": "",
        "below_scale_central_treatment": False,
        "new_large_scale_farm": False,
        "green_island": False,
    }
    data.update(overrides)
    return data


# A minimal well-formed PDF, as evidence (证明材料).
EVIDENCE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def attach_evidence(project, user, name: str = "监测报告.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from reductions import services as reduction_services

    return reduction_services.add_attachment(
        project=project, upload=SimpleUploadedFile(name, EVIDENCE_PDF), user=user
    )


def make_project(
    user,
    owner=None,
    code="W_STRUCTURE",
    amounts=None,
    submit=True,
    evidence=True,
    filing=None,
    **overrides,
):
    """A project entered by ``user``; with ``submit`` it is submitted, with its evidence
    first (KEY and PACKAGE need it) unless ``evidence=False``. ``filing`` is the
    (number, date) an enterprise records when submitting its own small package."""
    from reductions import services as reduction_services

    project = reduction_services.save_project(
        user=user,
        owner=owner or user.entity,
        data=project_data(code, **overrides),
        amounts={k: Decimal(v) for k, v in (amounts or {"COD": "2"}).items()},
    )
    if submit:
        if evidence:
            attach_evidence(project, user)
        if filing is None and project.tier == "PACKAGE" and project.owner.kind == "ENTERPRISE":
            filing = (f"GJ-{project.pk}", project.completion_date)
        number, date = filing or ("", None)
        project = reduction_services.act(
            project=project, user=user, action="submit", filing_number=number, filing_date=date
        )
    return project


def correct(action: str, record, *, proposer: User, approver: User, reason: str = "更正"):
    """Propose a four-eyes correction and have another person approve it."""
    correction = services.propose_correction(
        action=action, record=record, reason=reason, user=proposer
    )
    return services.approve_correction(correction=correction, user=approver)


def as_committed(open_cursor=None) -> None:
    """Run the database's commit-time checks now, as COMMIT would: a test runs inside a
    transaction that is rolled back, so PostgreSQL's deferred triggers (balances, legs
    summing to zero, the commit sequence) would otherwise never fire."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with (open_cursor or connection.cursor)() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def reconciled() -> list:
    """The reconciliation's findings, as they would be once the test's work committed."""
    from ledger import audit

    as_committed()
    return audit.reconcile()


def file_bundle(projects, *, clerk, approver, number=None, date=datetime.date(2025, 8, 1)):
    """Record (by ``clerk``) and confirm (by ``approver``) the national filing of the open
    bundle holding the given district-reviewed small-package projects."""
    from reductions import bundles

    projects = list(projects) if isinstance(projects, list | tuple) else [projects]
    bundle = next(b for b in bundles.bundles(clerk) if projects[0] in b.projects)
    filing = bundles.record_filing(
        user=clerk,
        bundle=bundle,
        filing_number=number or f"GJ-DB-{projects[0].pk}",
        filing_date=date,
    )
    return bundles.confirm_filing(user=approver, filing=filing)


def transfer(
    *,
    seller: Entity,
    buyer: Entity,
    pollutant: str,
    amount,
    idempotency_key: str,
    user: User,
    reference_text: str = "",
    memo: str = "",
    effective_date: datetime.date | None = None,
) -> tuple:
    """A paired trade between two entities, as the municipal "transfer" page (since replaced by
    trade records each side records) posted it: TRADE_OUT from the seller to the trading
    counterpart and TRADE_IN to the buyer, the second paired with the first. Ledgers keep
    such pairs, and a reversal of either half reverses both."""
    amount = services.to_amount(amount, allow_negative=False)
    services._check_pollutant(pollutant)
    if seller.pk == buyer.pk:
        raise services.LedgerError("Seller and buyer must be different entities.")
    counterpart = services.system_account("TRADING", pollutant)
    seller_account = services.entity_account(seller, pollutant)
    buyer_account = services.entity_account(buyer, pollutant)
    common = {
        "user": user,
        "reference_text": reference_text,
        "memo": memo,
        "effective_date": effective_date,
    }
    with transaction.atomic():
        services.lock_accounts([counterpart.pk, seller_account.pk, buyer_account.pk])
        out = services.post(
            kind="TRADE_OUT",
            legs=[services.Leg(seller_account, -amount), services.Leg(counterpart, amount)],
            idempotency_key=f"{idempotency_key}:out",
            **common,
        )
        into = services.post(
            kind="TRADE_IN",
            legs=[services.Leg(counterpart, -amount), services.Leg(buyer_account, amount)],
            idempotency_key=f"{idempotency_key}:in",
            paired_with=out,
            **common,
        )
    return out, into
