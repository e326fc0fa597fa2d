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
from rest_framework.exceptions import NotAcceptable
from rest_framework.renderers import JSONRenderer

from ledger.permissions import is_reporting_client

from . import exports, routers

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
    # Read-only lists and exports may be served by a read replica (routers.py); writes and
    # details never are.
    replica_safe = True
    # Query parameters that make a list read its own writes: it stays on the primary.
    primary_params: tuple[str, ...] = ()

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


class ExportableList:
    """A list that also exports as CSV or XLSX (``?format=`` or ``Accept``); errors stay JSON.
    A list computed in Python (progress, bundles) passes its rows to ``export``; a queryset
    list streams through ``exports.rows``."""

    renderer_classes = (JSONRenderer, exports.CSVRenderer, exports.XLSXRenderer)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.export_format and self.action != "list":
            raise NotAcceptable(_("Only lists export as CSV or XLSX."))

    @property
    def export_format(self) -> str | None:
        renderer = getattr(self.request, "accepted_renderer", None)
        fmt = getattr(renderer, "format", None)
        return fmt if fmt in exports.EXPORT_FORMATS else None

    def handle_exception(self, exc):
        # Errors are JSON whatever format the client asked for.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

    def export(self, header, body):
        """The CSV or XLSX response of ``header`` and the rows ``body``, every cell through
        the formula-safe writer."""
        if self.export_format == "csv":
            return exports.csv_response(self.basename, header, body)
        return exports.xlsx_response(self.basename, header, body)

    def export_data(self, serializer_class, instances):
        """Export rows that are not a queryset, serialized by ``serializer_class``."""
        return self.export(*exports.rows_of(serializer_class, instances))


class ScopedReadOnlyViewSet(
    ExportableList, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet
):
    """List and detail; a list also exports as CSV or XLSX with the same filters and scope."""

    permission_classes = ()

    def reads_from_replica(self) -> bool:
        """Whether this list may read from the read replica (when ``DATABASE_REPLICA_URL``
        configures one, ``routers.ReplicaRouter`` sends reads made in the scope there): not
        when it must read its own writes (``primary_params``, e.g. the sync, which numbers
        commits first). Details and writes never open the scope."""
        if not self.replica_safe:
            return False
        return not any(name in self.request.query_params for name in self.primary_params)

    def list(self, request, *args, **kwargs):
        if not self.reads_from_replica():
            return self.list_rows()
        with routers.replica_reads():
            return self.list_rows(stream=routers.replica_iter)

    def list_rows(self, stream=iter):
        """The page, or the export; ``stream`` wraps a streamed export's rows, which are read
        after the view returns (the replica scope must cover them too)."""
        queryset = self.filter_queryset(self.get_queryset())
        if self.export_format:
            header, body = exports.rows(
                self.get_serializer_class(),
                queryset.order_by(*self.ordering),
                self.get_serializer_context(),
            )
            return self.export(header, stream(body))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
