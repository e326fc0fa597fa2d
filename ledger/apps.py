from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = _("Ledger")

    def ready(self) -> None:
        # Registers the rules predicates; connects the idle-session clock to login.
        from django.db.models.signals import post_delete, post_save

        from . import inbox, permissions, web_access  # noqa: F401

        post_save.connect(inbox.workflow_changed, dispatch_uid="inbox-workflow-saved")
        post_delete.connect(inbox.workflow_changed, dispatch_uid="inbox-workflow-deleted")
