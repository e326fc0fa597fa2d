from rest_framework.routers import DefaultRouter

from .views import AccountViewSet, TransactionViewSet

router = DefaultRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register("transactions", TransactionViewSet, basename="transaction")

urlpatterns = router.urls
