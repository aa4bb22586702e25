"""The API's URL routes: every app's viewsets registered on one router, mounted at /api/."""

from rest_framework.routers import DefaultRouter

from listings.views import ListingViewSet

router = DefaultRouter()
router.register("listings", ListingViewSet, basename="listing")

app_name = "api"
urlpatterns = router.urls
