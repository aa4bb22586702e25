"""The API's URL routes: every app's viewsets registered on one router, mounted at /api/."""

from django.urls import include, path, re_path
from rest_framework.routers import DefaultRouter

from bookings.async_views import listing_availability
from bookings.views import BookingViewSet, ListingReviewList, ReviewViewSet
from listings.views import ListingViewSet
from messaging.views import MessageViewSet, NotificationViewSet, ThreadViewSet
from payments.views import ChapaCallbackView, ChapaWebhookView, PaymentViewSet
from wishlists.views import WishlistViewSet

router = DefaultRouter()
router.register("listings", ListingViewSet, basename="listing")
router.register("bookings", BookingViewSet, basename="booking")
router.register("reviews", ReviewViewSet, basename="review")
router.register("payments", PaymentViewSet, basename="payment")
router.register("wishlist", WishlistViewSet, basename="wishlist")
router.register("threads", ThreadViewSet, basename="thread")
router.register("messages", MessageViewSet, basename="message")
router.register("notifications", NotificationViewSet, basename="notification")

app_name = "api"
urlpatterns = [
    # Session login, DRF token, JWT and /me/; not a viewset, so routed by hand.
    path("auth/", include("accounts.urls")),
    # An async Django view (lesson 09), outside DRF: DRF's views are synchronous.
    path("listings/<int:pk>/availability/", listing_availability, name="listing-availability"),
    # A listing's reviews: bookings data under the listing's URL (listings can't import
    # reviews). The router's own id pattern, so a bad id is the same 404 as for the listing.
    re_path(r"^listings/(?P<pk>[^/.]+)/reviews/$", ListingReviewList.as_view(),
            name="listing-reviews"),
    # Called by Chapa, not by API clients; before the router so "webhook" is not a tx_ref.
    path("payments/webhook/", ChapaWebhookView.as_view(), name="payment-webhook"),
    path("payments/callback/", ChapaCallbackView.as_view(), name="payment-callback"),
    *router.urls,
]
