import datetime
import uuid
from decimal import Decimal

import factory

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
        "voc_management": False,
    }
    data.update(overrides)
    return data


def make_project(user, owner=None, code="W_STRUCTURE", amounts=None, submit=True, **overrides):
    from reductions import services as reduction_services

    project = reduction_services.save_project(
        user=user,
        owner=owner or user.entity,
        data=project_data(code, **overrides),
        amounts={k: Decimal(v) for k, v in (amounts or {"COD": "2"}).items()},
    )
    if submit:
        project = reduction_services.act(project=project, user=user, action="submit")
    return project
