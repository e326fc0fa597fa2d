"""Plan periods, targets, progress, allocation rounds (with their lines and recoveries),
construction projects with their draws, and trade records; with the workflow actions of
each. Writes call the browser's services (``allocations.services``, ``trades``)."""

from django.db.models import Max, OuterRef, Prefetch, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from ledger.models import Entity
from quota_ledger.api.base import ExportableList, ScopedReadOnlyViewSet, ScopedViewSet
from quota_ledger.api.filters import changed_at
from quota_ledger.api.idempotency import idempotent
from quota_ledger.api.parsers import UnicodeJSONParser
from quota_ledger.api.schema import ERROR_RESPONSES, IDEMPOTENCY_HEADER
from reductions.models import PlanPeriod

from .. import selectors, services, trades
from ..models import (
    AllocationLine,
    AllocationRound,
    ConstructionProject,
    RoundStep,
    Target,
    UseLine,
)
from .filters import ConstructionFilter, RoundFilter, TargetFilter, TradeFilter
from .serializers import (
    AdjustLineSerializer,
    CommentSerializer,
    ConstructionInputSerializer,
    ConstructionProjectSerializer,
    DraftRoundSerializer,
    PlanPeriodSerializer,
    ProgressQuerySerializer,
    ProgressSerializer,
    RequestUseSerializer,
    RoundSerializer,
    TargetSerializer,
    TradeInputSerializer,
    TradeRecordSerializer,
)

ACTION = gettext_lazy("The workflow action to take, one of the listed values.")


def _action_schema(request, response, names):
    return extend_schema(
        request=request,
        responses={200: response, **ERROR_RESPONSES},
        parameters=[
            IDEMPOTENCY_HEADER,
            OpenApiParameter(
                "action_name", str, OpenApiParameter.PATH, enum=list(names), description=ACTION
            ),
        ],
    )


def _unknown(name, names):
    if name not in names:
        raise NotFound(_("Unknown action: use one of %(actions)s.") % {"actions": ", ".join(names)})


class PlanPeriodViewSet(ScopedReadOnlyViewSet):
    schema_description = gettext_lazy("Five-year plan periods (reference data).")

    model = PlanPeriod
    serializer_class = PlanPeriodSerializer
    ordering = ("id",)

    def scoped_queryset(self, user):
        return PlanPeriod.objects.all()


class TargetViewSet(ScopedReadOnlyViewSet):
    schema_description = gettext_lazy(
        "Five-year reduction targets: all for municipal roles, auditors and reporting clients; "
        "the own entity's for others."
    )

    model = Target
    serializer_class = TargetSerializer
    filterset_class = TargetFilter
    ordering = ("id",)

    def scoped_queryset(self, user):
        targets = Target.objects.select_related("entity", "plan_period", "updated_by")
        if user.has_perm("allocations.see_overview"):
            return targets
        if user.entity_id and user.has_perm("allocations.see_progress", user.entity):
            return targets.filter(entity_id=user.entity_id)
        return targets.none()


class ProgressViewSet(ExportableList, ScopedViewSet):
    schema_description = gettext_lazy(
        "Progress towards the targets per entity and pollutant, as of a date. Not paginated: "
        "one row per entity and pollutant."
    )

    model = Entity
    serializer_class = ProgressSerializer
    pagination_class = None
    filter_backends = ()

    def scoped_queryset(self, user):
        entities = Entity.objects.filter(kind__in=selectors.OWNER_KINDS, is_active=True)
        if user.has_perm("allocations.see_overview"):
            return entities.order_by("kind", "code")
        if user.entity_id and user.has_perm("allocations.see_progress", user.entity):
            return entities.filter(pk=user.entity_id)
        return entities.none()

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "plan_period", str, description=gettext_lazy("Plan period code (14FYP).")
            ),
            OpenApiParameter(
                "as_of", str, description=gettext_lazy("YYYY-MM-DD; today when left out.")
            ),
            OpenApiParameter("entity", str, description=gettext_lazy("One entity code.")),
        ],
        responses={200: ProgressSerializer(many=True), **ERROR_RESPONSES},
    )
    def list(self, request):
        query = ProgressQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        as_of = query.validated_data.get("as_of") or timezone.localdate()
        period = query.validated_data.get("plan_period")
        if period is None:
            period = (
                PlanPeriod.objects.filter(start_year__lte=as_of.year)
                .order_by("-start_year")
                .first()
                or PlanPeriod.objects.order_by("start_year").first()
            )
        if period is None:
            if self.export_format:
                return self.export_data(ProgressSerializer, [])
            return Response([])
        entities = self.get_queryset()
        if query.validated_data.get("entity"):
            entities = entities.filter(pk=query.validated_data["entity"].pk)
        rows = selectors.progress(period=period, as_of=as_of, entities=list(entities))
        if self.export_format:
            return self.export_data(ProgressSerializer, rows)
        return Response(ProgressSerializer(rows, many=True).data)


class RoundViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    schema_description = gettext_lazy(
        "Allocation rounds with their lines (allocations and recoveries) and their steps. "
        "Municipal clerks draft, lower lines and submit; a different municipal approver "
        "approves (posting every line) or returns."
    )
    schema_descriptions = {
        "create": gettext_lazy(
            "Draft a round: the formula of DESIGN §5 proposes one line per entity and pollutant."
        ),
        "adjust": gettext_lazy("Lower one line of a draft round, with a reason."),
        "actions": gettext_lazy(
            "submit (the clerk); approve, which posts every line, or return (the approver)."
        ),
    }

    model = AllocationRound
    serializer_class = RoundSerializer
    filterset_class = RoundFilter
    ordering = ("-id",)
    ordering_fields = ("as_of", "created_at")
    permission_required = "allocations.see_rounds"

    def scoped_queryset(self, user):
        last_step = (
            RoundStep.objects.filter(round=OuterRef("pk"))
            .order_by()
            .values("round")
            .annotate(last=Max("at"))
            .values("last")
        )
        lines = AllocationLine.objects.select_related("entity")
        return (
            AllocationRound.objects.select_related(
                "plan_period", "created_by", "submitted_by", "decided_by"
            )
            .annotate(last_step_at=Subquery(last_step))
            .annotate(
                changed_at=changed_at("created_at", "submitted_at", "decided_at", "last_step_at")
            )
            .prefetch_related(
                Prefetch("lines", queryset=lines),
                Prefetch("steps", queryset=RoundStep.objects.select_related("actor")),
            )
        )

    def _show(self, round_id, code=status.HTTP_200_OK):
        round_ = self.scoped_queryset(self.request.user).get(pk=round_id)
        return Response(
            RoundSerializer(round_, context=self.get_serializer_context()).data, status=code
        )

    @extend_schema(
        request=DraftRoundSerializer,
        responses={201: RoundSerializer, **ERROR_RESPONSES},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        given = DraftRoundSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        round_ = services.draft_round(user=request.user, **given.validated_data)
        return self._show(round_.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=AdjustLineSerializer,
        responses={200: RoundSerializer, **ERROR_RESPONSES},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["post"], serializer_class=AdjustLineSerializer)
    @idempotent
    def adjust(self, request, pk=None):
        round_ = self.get_object()
        given = AdjustLineSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        line = round_.lines.filter(pk=given.validated_data["line"]).first()
        if line is None:
            raise NotFound(_("This round has no such line."))
        services.adjust_line(
            line=line,
            amount=given.validated_data["amount"],
            reason=given.validated_data["reason"],
            user=request.user,
        )
        return self._show(round_.pk)

    ROUND_ACTIONS = ("submit", "approve", "return")

    @_action_schema(CommentSerializer, RoundSerializer, ROUND_ACTIONS)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"actions/(?P<action_name>[a-z_]+)",
        serializer_class=CommentSerializer,
    )
    @idempotent
    def actions(self, request, pk=None, action_name=None):
        _unknown(action_name, self.ROUND_ACTIONS)
        round_ = self.get_object()
        given = CommentSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        comment = given.validated_data["comment"]
        if action_name == "submit":
            services.submit_round(round_=round_, user=request.user)
        elif action_name == "approve":
            services.approve_round(round_=round_, approver=request.user, comment=comment)
        else:
            services.return_round(round_=round_, approver=request.user, comment=comment)
        return self._show(round_.pk)


class ConstructionProjectViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    schema_description = gettext_lazy(
        "Construction projects and their draws on quota: requested (held), approved per "
        "holding entity (consumed as USE), rejected, withdrawn or expired (released)."
    )
    schema_descriptions = {
        "actions": gettext_lazy(
            "request (with draws: which ledger covers how much), approve (the holding entity's "
            "approver), reject (with a comment), withdraw (the requester)."
        )
    }

    model = ConstructionProject
    serializer_class = ConstructionProjectSerializer
    filterset_class = ConstructionFilter
    ordering = ("-id",)
    ordering_fields = ("created_at", "requested_at")

    def scoped_queryset(self, user):
        lines = UseLine.objects.filter(project=OuterRef("pk")).order_by().values("project")
        last_approval = lines.annotate(last=Max("approved_at")).values("last")
        last_release = lines.annotate(last=Max("hold__closed_at")).values("last")
        draws = UseLine.objects.select_related("account__entity", "hold", "approved_by")
        return (
            selectors.visible_construction_projects(user)
            .annotate(last_approval_at=Subquery(last_approval))
            .annotate(last_release_at=Subquery(last_release))
            .annotate(
                changed_at=changed_at(
                    "created_at",
                    "requested_at",
                    "decided_at",
                    "cancelled_at",
                    "last_approval_at",
                    "last_release_at",
                )
            )
            .prefetch_related("emissions", Prefetch("lines", queryset=draws))
        )

    def _show(self, pk, code=status.HTTP_200_OK):
        project = self.scoped_queryset(self.request.user).get(pk=pk)
        return Response(
            ConstructionProjectSerializer(project, context=self.get_serializer_context()).data,
            status=code,
        )

    @extend_schema(
        request=ConstructionInputSerializer,
        responses={201: ConstructionProjectSerializer, **ERROR_RESPONSES},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        given = ConstructionInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        emissions = data.pop("emissions")
        data["owner"] = data.get("owner") or request.user.entity
        if data["owner"] is None:
            raise PermissionDenied(_("You belong to no entity."))
        project = services.save_construction_project(
            user=request.user, data=data, emissions=emissions
        )
        return self._show(project.pk, status.HTTP_201_CREATED)

    ACTIONS = ("request", "approve", "reject", "withdraw")

    @_action_schema(RequestUseSerializer, ConstructionProjectSerializer, ACTIONS)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"actions/(?P<action_name>[a-z_]+)",
        serializer_class=CommentSerializer,
    )
    @idempotent
    def actions(self, request, pk=None, action_name=None):
        _unknown(action_name, self.ACTIONS)
        project = self.get_object()
        user = request.user
        if action_name == "request":
            given = RequestUseSerializer(data=request.data)
            given.is_valid(raise_exception=True)
            draws = [
                (d["entity"], d["pollutant"], d["emission"]) for d in given.validated_data["draws"]
            ]
            services.request_use(project=project, user=user, lines=draws)
        else:
            given = CommentSerializer(data=request.data)
            given.is_valid(raise_exception=True)
            comment = given.validated_data["comment"]
            if action_name == "approve":
                services.approve_use(project=project, user=user, comment=comment)
            elif action_name == "reject":
                services.reject_use(project=project, user=user, comment=comment)
            else:
                services.withdraw_use(project=project, user=user)
        return self._show(project.pk)


class TradeRecordViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    schema_description = gettext_lazy(
        "Trade records (notice, part 4 (3)): quota acquired or sold through emission-rights "
        "trading, recorded by the entity, confirmed (posted) by a municipal approver."
    )
    schema_descriptions = {
        "actions": gettext_lazy(
            "confirm (posts TRADE_IN / TRADE_OUT) or reject (with a comment): a municipal "
            "approver other than the recorder."
        )
    }

    model = trades.TradeRecord
    serializer_class = TradeRecordSerializer
    filterset_class = TradeFilter
    ordering = ("-id",)
    ordering_fields = ("trade_date", "proposed_at")
    parser_classes = (MultiPartParser, FormParser, UnicodeJSONParser)

    def scoped_queryset(self, user):
        return selectors.visible_trade_records(user)

    def _show(self, pk, code=status.HTTP_200_OK):
        record = self.scoped_queryset(self.request.user).get(pk=pk)
        return Response(
            TradeRecordSerializer(record, context=self.get_serializer_context()).data, status=code
        )

    @extend_schema(
        request={"multipart/form-data": TradeInputSerializer},
        responses={201: TradeRecordSerializer, **ERROR_RESPONSES},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        given = TradeInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        data["entity"] = data.get("entity") or request.user.entity
        if data["entity"] is None:
            raise PermissionDenied(_("You belong to no entity."))
        record = trades.record_trade(user=request.user, **data)
        return self._show(record.pk, status.HTTP_201_CREATED)

    ACTIONS = ("confirm", "reject")

    @_action_schema(CommentSerializer, TradeRecordSerializer, ACTIONS)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"actions/(?P<action_name>[a-z_]+)",
        serializer_class=CommentSerializer,
        parser_classes=(UnicodeJSONParser, FormParser, MultiPartParser),
    )
    @idempotent
    def actions(self, request, pk=None, action_name=None):
        _unknown(action_name, self.ACTIONS)
        record = self.get_object()
        given = CommentSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        comment = given.validated_data["comment"]
        if action_name == "confirm":
            trades.confirm_trade(record=record, user=request.user, comment=comment)
        else:
            trades.reject_trade(record=record, user=request.user, comment=comment)
        return self._show(record.pk)
