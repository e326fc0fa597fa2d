from django.db.models import Prefetch
from rest_framework import permissions, viewsets
from rest_framework.exceptions import ValidationError

from ledger.api.views import CanUseApi

from .. import selectors
from ..forms import ProjectFilterForm
from ..models import Review
from .serializers import ProjectSerializer


class ProjectViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ProjectSerializer
    permission_classes = [permissions.IsAuthenticated, CanUseApi]

    def get_queryset(self):
        projects = selectors.visible_projects(self.request.user).select_related("plan_period")
        # The list page's filter form validates here too: a bad value is a 400 naming it.
        form = ProjectFilterForm(self.request.query_params)
        if not form.is_valid():
            raise ValidationError(form.errors)
        projects = selectors.filter_projects(projects, form.params())
        return projects.prefetch_related(
            "amounts", Prefetch("reviews", queryset=Review.objects.select_related("actor"))
        ).order_by("id")
