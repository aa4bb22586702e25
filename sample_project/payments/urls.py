"""Pages of the payments app outside the API: where Chapa sends the payer back."""

from django.urls import path

from payments.views import payment_return

app_name = "payments"
urlpatterns = [
    path("return/<str:tx_ref>/", payment_return, name="return"),
]
