from django.db.models import Prefetch
from rest_framework import permissions, viewsets

from .. import selectors
from ..models import Entry
from .serializers import AccountSerializer, TransactionSerializer


class CanUseApi(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return request.user.has_perm("ledger.use_api")


class AccountViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AccountSerializer
    permission_classes = [permissions.IsAuthenticated, CanUseApi]

    def get_queryset(self):
        return selectors.visible_accounts(self.request.user).order_by("id")


class TransactionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TransactionSerializer
    permission_classes = [permissions.IsAuthenticated, CanUseApi]

    def get_queryset(self):
        return (
            selectors.visible_transactions(self.request.user)
            .prefetch_related(Prefetch("entries", queryset=Entry.objects.order_by("id")))
            .order_by("-id")
        )
