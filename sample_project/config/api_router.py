"""The API's URL routes: every app's viewsets registered on one router, mounted at /api/."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from bookings.views import BookingViewSet
from listings.views import ListingViewSet, ReviewViewSet

router = DefaultRouter()
router.register("listings", ListingViewSet, basename="listing")
router.register("bookings", BookingViewSet, basename="booking")
router.register("reviews", ReviewViewSet, basename="review")

app_name = "api"
urlpatterns = [
    # Session login, DRF token, JWT and /me/; not a viewset, so routed by hand.
    path("auth/", include("accounts.urls")),
    *router.urls,
]
