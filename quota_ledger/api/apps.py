from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The REST API's shared machinery (接口): tokens, one error shape, cursor pagination,
    scoped base views, Idempotency-Key records, the schema and its documentation pages.

    It holds no business rule: every endpoint lives in its app's ``api/`` package and calls
    that app's services and selectors. The apps import this one as they import DRF.
    """

    name = "quota_ledger.api"
    label = "api"
    verbose_name = _("REST API")
