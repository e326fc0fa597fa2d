from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = _("Ledger")

    def ready(self) -> None:
        # Registers the rules predicates; connects the idle-session clock to login.
        from . import permissions, web_access  # noqa: F401
