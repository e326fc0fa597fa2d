"""Default policy rows of the allocations app that a new installation starts with (the same
row migration 0005 seeds); `load_reference` adds it when no row exists, never overwriting what
the bureau set in the admin."""

import datetime

from .models import HoldPolicy

DEFAULT_HOLD_DAYS = 90


def ensure_policies() -> None:
    if not HoldPolicy.objects.exists():
        HoldPolicy.objects.create(
            effective_from=datetime.date(2021, 1, 1),
            lifetime_days=DEFAULT_HOLD_DAYS,
            is_default=True,
            note="默认：建设项目指标预占有效期 90 天（请按本局规定修改）。",
        )
