"""Reduction projects, their workflow actions and evidence; national filings and bundles.

Writes call the same services as the browser (``reductions.services``, ``bundles``), which
check the permission module and the maker–checker rule; a refusal is the API's error shape
with the domain error's code.
"""

from django.db.models import F, Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from quota_ledger.api.base import ExportableList, ScopedReadOnlyViewSet, ScopedViewSet
from quota_ledger.api.idempotency import idempotent
from quota_ledger.api.parsers import UnicodeJSONParser
from quota_ledger.api.schema import ERROR_RESPONSES, IDEMPOTENCY_HEADER

from .. import bundles, selectors, services
from ..models import BundleFiling, Project, Review
from .filters import FilingFilter, ProjectFilter
from .serializers import (
    ACTIONS,
    BundleSerializer,
    EvidenceSerializer,
    FilingActionSerializer,
    FilingRefSerializer,
    FilingSerializer,
    ProjectActionSerializer,
    ProjectInputSerializer,
    ProjectSerializer,
    RecordFilingSerializer,
)

LIST_RELATED = ("owner", "project_type", "plan_period", "filing")
LIST_COLUMNS = (
    *(f.name for f in Project._meta.concrete_fields if f.name in ProjectSerializer.Meta.fields),
    "owner__code",
    "project_type__code",
    "plan_period__code",
    *(f"filing__{name}" for name in FilingRefSerializer.Meta.fields),
)


class ProjectViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ScopedReadOnlyViewSet):
    schema_description = gettext_lazy(
        "Reduction projects with tier, accounting method, amounts and the review timeline. A "
        "district system creates and edits drafts and takes workflow actions."
    )
    schema_descriptions = {
        "actions": gettext_lazy(
            "A workflow step, with the browser's rules: submit, withdraw, approve, return."
        ),
        "evidence": gettext_lazy("Upload evidence to an editable project."),
    }

    model = Project
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter
    ordering = ("-id",)
    ordering_fields = ("updated_at", "completion_date", "accounting_year")
    parser_classes = (UnicodeJSONParser, MultiPartParser, FormParser)
    http_method_names = ("get", "post", "put", "patch", "head", "options")

    def scoped_queryset(self, user):
        projects = selectors.visible_projects(user)
        if self.action == "list":
            # Only the columns the list shows: with all 86 columns of six joined tables,
            # PostgreSQL spent 4 ms planning the page's query, ten times its execution
            # (bench/pages.py, API projects).
            projects = projects.select_related(None).only(*LIST_COLUMNS)
        return (
            projects.select_related(*LIST_RELATED)
            .annotate(changed_at=F("updated_at"))
            .prefetch_related(
                "amounts",
                Prefetch("reviews", queryset=Review.objects.select_related("actor")),
            )
        )

    def _save(self, request, project=None, partial=False):
        given = ProjectInputSerializer(data=request.data, partial=partial)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        if project is not None:
            current = {f: getattr(project, f) for f in services.PROJECT_FIELDS}
            data = {**current, **data}
            amounts = data.pop("amounts", {a.pollutant: a.claimed for a in project.amounts.all()})
            owner = project.owner
            data.pop("owner", None)
        else:
            amounts = data.pop("amounts")
            owner = data.pop("owner", None) or request.user.entity
        saved = services.save_project(
            user=request.user, owner=owner, data=data, amounts=amounts, project=project
        )
        return self.scoped_queryset(request.user).get(pk=saved.pk)

    @extend_schema(
        request=ProjectInputSerializer,
        responses={201: ProjectSerializer, **ERROR_RESPONSES},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        if request.user.entity is None:
            raise PermissionDenied(_("You belong to no entity."))
        project = self._save(request)
        return Response(self.get_serializer(project).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ProjectInputSerializer,
        responses={200: ProjectSerializer, **ERROR_RESPONSES},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent
    def update(self, request, *args, **kwargs):
        project = self._save(request, self.get_object(), partial=kwargs.get("partial", False))
        return Response(self.get_serializer(project).data)

    @extend_schema(
        request=ProjectActionSerializer,
        responses={200: ProjectSerializer, **ERROR_RESPONSES},
        parameters=[
            IDEMPOTENCY_HEADER,
            OpenApiParameter(
                "action_name",
                str,
                OpenApiParameter.PATH,
                enum=[str(a) for a in ACTIONS],
                description=gettext_lazy("submit, withdraw, approve or return (with a comment)."),
            ),
        ],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"actions/(?P<action_name>[a-z_]+)",
        serializer_class=ProjectActionSerializer,
    )
    @idempotent
    def actions(self, request, pk=None, action_name=None):
        if action_name not in ACTIONS:
            raise NotFound(
                _("Unknown action: use one of %(actions)s.") % {"actions": ", ".join(ACTIONS)}
            )
        project = self.get_object()
        given = ProjectActionSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        services.act(project=project, user=request.user, action=action_name, **given.validated_data)
        project = self.scoped_queryset(request.user).get(pk=project.pk)
        return Response(ProjectSerializer(project, context=self.get_serializer_context()).data)

    @extend_schema(
        request={"multipart/form-data": EvidenceSerializer},
        responses={201: ProjectSerializer, **ERROR_RESPONSES},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(
        detail=True,
        methods=["post"],
        parser_classes=(MultiPartParser,),
        serializer_class=EvidenceSerializer,
    )
    @idempotent
    def evidence(self, request, pk=None):
        project = self.get_object()
        given = EvidenceSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        services.add_attachment(
            project=project, upload=given.validated_data["file"], user=request.user
        )
        project = self.scoped_queryset(request.user).get(pk=project.pk)
        return Response(
            ProjectSerializer(project, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


FILING_ACTIONS = ("confirm", "reject", "certify")


class FilingViewSet(ScopedReadOnlyViewSet):
    schema_description = gettext_lazy(
        "National filings of small-package bundles, with the projects they cover."
    )
    schema_descriptions = {
        "actions": gettext_lazy(
            "confirm / reject (with a reason) by the district approver; certify by the "
            "municipal approver (the whole bundle)."
        )
    }

    model = BundleFiling
    serializer_class = FilingSerializer
    filterset_class = FilingFilter
    ordering = ("-id",)
    ordering_fields = ("filing_date",)

    def scoped_queryset(self, user):
        return selectors.visible_filings(user).prefetch_related("items")

    @extend_schema(
        request=FilingActionSerializer,
        responses={200: FilingSerializer, **ERROR_RESPONSES},
        parameters=[
            IDEMPOTENCY_HEADER,
            OpenApiParameter(
                "action_name",
                str,
                OpenApiParameter.PATH,
                enum=list(FILING_ACTIONS),
                description=gettext_lazy("confirm, reject or certify."),
            ),
        ],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"actions/(?P<action_name>[a-z_]+)",
        serializer_class=FilingActionSerializer,
    )
    @idempotent
    def actions(self, request, pk=None, action_name=None):
        if action_name not in FILING_ACTIONS:
            raise NotFound(
                _("Unknown action: use one of %(actions)s.")
                % {"actions": ", ".join(FILING_ACTIONS)}
            )
        filing = self.get_object()
        given = FilingActionSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        if action_name == "confirm":
            bundles.confirm_filing(user=request.user, filing=filing)
        elif action_name == "reject":
            bundles.reject_filing(
                user=request.user, filing=filing, reason=given.validated_data["reason"]
            )
        else:
            bundles.certify_filing(user=request.user, filing=filing)
        filing = self.scoped_queryset(request.user).get(pk=filing.pk)
        return Response(FilingSerializer(filing, context=self.get_serializer_context()).data)


class BundleViewSet(ExportableList, ScopedViewSet):
    schema_description = gettext_lazy(
        "Open small-package bundles of the user's visible projects: district-reviewed PACKAGE "
        "projects grouped by the bundle key, waiting for their national filing."
    )
    schema_descriptions = {
        "file": gettext_lazy(
            "Record a bundle's national filing (the district clerk); a district approver then "
            "confirms it."
        )
    }

    model = Project
    serializer_class = BundleSerializer
    pagination_class = None
    filter_backends = ()

    def scoped_queryset(self, user):
        return selectors.visible_projects(user)

    def list(self, request):
        if self.export_format:
            return self.export_data(BundleSerializer, bundles.bundles(request.user))
        return Response(BundleSerializer(bundles.bundles(request.user), many=True).data)

    @extend_schema(
        request=RecordFilingSerializer,
        responses={201: FilingSerializer, **ERROR_RESPONSES},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=False, methods=["post"], serializer_class=RecordFilingSerializer)
    @idempotent
    def file(self, request):
        given = RecordFilingSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        bundle = bundles.find_bundle(request.user, given.validated_data["bundle_key"])
        if bundle is None:
            raise NotFound(_("No open bundle has this key."))
        filing = bundles.record_filing(
            user=request.user,
            bundle=bundle,
            filing_number=given.validated_data["filing_number"],
            filing_date=given.validated_data["filing_date"],
        )
        filing = get_object_or_404(selectors.visible_filings(request.user), pk=filing.pk)
        return Response(
            FilingSerializer(filing, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )
