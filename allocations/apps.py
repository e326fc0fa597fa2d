from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AllocationsConfig(AppConfig):
    name = "allocations"
    verbose_name = _("Allocations")

    def ready(self) -> None:
        from . import corrections, labels, permissions  # noqa: F401  register rules and corrections

        labels.register()
