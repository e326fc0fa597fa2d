from rest_framework.routers import SimpleRouter

from .views import BundleViewSet, FilingViewSet, ProjectViewSet

router = SimpleRouter()
router.register("projects", ProjectViewSet, basename="project")
router.register("filings", FilingViewSet, basename="filing")
router.register("bundles", BundleViewSet, basename="bundle")
