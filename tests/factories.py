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
        idempotency_key=key
        or f"test-fund:{entity.pk}:{pollutant}:{amount}:{factory.random.randgen.random()}",
        user=user,
    )
