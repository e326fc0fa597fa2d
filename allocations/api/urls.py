from rest_framework.routers import SimpleRouter

from .views import (
    ConstructionProjectViewSet,
    PlanPeriodViewSet,
    ProgressViewSet,
    RoundViewSet,
    TargetViewSet,
    TradeRecordViewSet,
)

router = SimpleRouter()
router.register("plan-periods", PlanPeriodViewSet, basename="plan-period")
router.register("targets", TargetViewSet, basename="target")
router.register("progress", ProgressViewSet, basename="progress")
router.register("rounds", RoundViewSet, basename="round")
router.register(
    "construction-projects", ConstructionProjectViewSet, basename="construction-project"
)
router.register("trade-records", TradeRecordViewSet, basename="trade-record")
