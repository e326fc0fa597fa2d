from django.db.models import Prefetch
from rest_framework import permissions, viewsets

from ledger.api.views import CanUseApi

from .. import selectors
from ..models import Review
from .serializers import ProjectSerializer


class ProjectViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ProjectSerializer
    permission_classes = [permissions.IsAuthenticated, CanUseApi]

    def get_queryset(self):
        projects = selectors.visible_projects(self.request.user).select_related("plan_period")
        projects = selectors.filter_projects(projects, self.request.query_params)
        return projects.prefetch_related(
            "amounts", Prefetch("reviews", queryset=Review.objects.select_related("actor"))
        ).order_by("id")
