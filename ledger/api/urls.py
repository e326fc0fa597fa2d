from rest_framework.routers import SimpleRouter

from .views import (
    AccountViewSet,
    CorrectionViewSet,
    EntityViewSet,
    HoldViewSet,
    TransactionViewSet,
)

router = SimpleRouter()
router.register("entities", EntityViewSet, basename="entity")
router.register("accounts", AccountViewSet, basename="account")
router.register("transactions", TransactionViewSet, basename="transaction")
router.register("holds", HoldViewSet, basename="hold")
router.register("corrections", CorrectionViewSet, basename="correction")
