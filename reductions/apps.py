from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReductionsConfig(AppConfig):
    name = "reductions"
    verbose_name = _("Reduction projects")

    def ready(self) -> None:
        from . import corrections, permissions  # noqa: F401  register rules and corrections
