"""The one base of every API view: scoping that cannot be forgotten.

Like PostHog's ``TeamAndOrgViewSetMixin``, a subclass may not override ``get_queryset``,
``get_object`` or ``get_permissions`` (refused when the class is defined); it implements
``scoped_queryset(user)``, built on the app's ``visible_*`` selector, and every list, detail,
filter, sync page and export reads from it. Permissions are the permission module's
(``rules``): ``ledger.use_api`` always, plus what a view names in ``permission_required``.
"""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, permissions, viewsets

from ledger.permissions import is_reporting_client

SEALED = ("get_queryset", "get_object", "get_permissions", "queryset")


class CanUseApi(permissions.BasePermission):
    """A business role (or a reporting client) is needed: a user without one sees nothing.
    A reporting client only reads (DESIGN §7)."""

    message = _("Your account may not use the API: it has no business role.")

    def has_permission(self, request, view) -> bool:
        if not request.user.has_perm("ledger.use_api"):
            return False
        if request.method not in permissions.SAFE_METHODS and is_reporting_client(request.user):
            self.message = _("A reporting client reads only; it takes no action.")
            return False
        return True


class HasViewPermission(permissions.BasePermission):
    """The view's ``permission_required`` (a rules permission), when it names one."""

    def has_permission(self, request, view) -> bool:
        perm = getattr(view, "permission_required", None)
        return perm is None or request.user.has_perm(perm)


class ScopedViewSet(viewsets.GenericViewSet):
    model = None
    permission_required: str | None = None
    # Read-only lists may be served by a read replica (``api.routers``); writes never.
    replica_safe = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        overridden = [name for name in SEALED if name in cls.__dict__]
        if overridden:
            raise TypeError(
                f"{cls.__name__} overrides {', '.join(overridden)}: implement "
                "scoped_queryset(user) instead, so no endpoint escapes the user's scope."
            )

    def scoped_queryset(self, user) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet:
        user = self.request.user
        if getattr(self, "swagger_fake_view", False) or not user.is_authenticated:
            # Schema generation introspects the model without a user.
            return self.model._default_manager.none()
        return self.scoped_queryset(user)

    def get_permissions(self):
        return [
            permissions.IsAuthenticated(),
            CanUseApi(),
            HasViewPermission(),
            *(permission() for permission in self.permission_classes),
        ]


class ScopedReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    permission_classes = ()
