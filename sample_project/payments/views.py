"""HTTP endpoints for payments: thin views over payments.selectors and payments.services.

Three audiences:

* the guest's client (JWT): start paying for a booking, see payments, ask for a re-check;
* Chapa's servers: the webhook (signed, POST) and the callback (unsigned, GET) — no login,
  no throttling (a retry storm from Chapa must not be answered 429), no CSRF;
* the payer's browser, sent back by Chapa: the return page (HTML).

None of them is trusted about the outcome: each one only makes us ask Chapa's verify API.
"""

from __future__ import annotations

from typing import ClassVar

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.openapi import NOT_FOUND, UNAUTHORIZED, conflict
from payments.models import Payment, PaymentStatus
from payments.selectors import payment_list_visible_to
from payments.serializers import PaymentInputSerializer, PaymentSerializer
from payments.services import (
    PaymentGatewayRejected,
    PaymentGatewayUnavailable,
    WebhookSignatureInvalid,
    payment_handle_webhook,
    payment_initiate,
    payment_verify,
)


class GatewayUnavailable(exceptions.APIException):
    """503 with ``Retry-After``: DRF's handler turns ``wait`` into the header."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The payment gateway is unavailable; try again shortly."
    default_code = "payment_gateway_unavailable"

    def __init__(self, detail: str, *, wait: int) -> None:
        super().__init__(detail)
        self.wait = wait


class GatewayRejected(exceptions.APIException):
    status_code = status.HTTP_502_BAD_GATEWAY
    default_detail = "The payment gateway refused the request."
    default_code = "payment_gateway_rejected"


class InvalidSignature(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Invalid webhook signature."
    default_code = "invalid_signature"


class GatewayErrorsMixin:
    """Translate the payment services' gateway errors into 502/503/400, never a 500.

    The payments-only companion of ``config.exceptions.api_exception_handler``: the body is
    ``{"detail": ..., "code": ...}`` as for a 409, plus ``retry_after`` (seconds) on a 503.
    """

    TRANSLATIONS: ClassVar = {
        PaymentGatewayUnavailable: lambda exc: GatewayUnavailable(str(exc), wait=exc.retry_after),
        PaymentGatewayRejected: lambda exc: GatewayRejected(str(exc)),
        WebhookSignatureInvalid: lambda exc: InvalidSignature(str(exc)),
    }

    def handle_exception(self, exc: Exception) -> Response:
        for kind, translate in self.TRANSLATIONS.items():
            if isinstance(exc, kind):
                exc = translate(exc)
                response = super().handle_exception(exc)  # type: ignore[misc]
                response.data["code"] = exc.default_code
                if getattr(exc, "wait", None):
                    response.data["retry_after"] = exc.wait
                return response
        return super().handle_exception(exc)  # type: ignore[misc]


UNAVAILABLE = OpenApiResponse(
    description="Chapa is down or too slow; the payment stays pending. Retry after the "
                "`Retry-After` header's seconds.",
    examples=[OpenApiExample("Gateway down", value={
        "detail": "The payment gateway is unavailable (Chapa did not answer: ConnectionError); "
                  "the payment is pending, try again shortly.",
        "code": "payment_gateway_unavailable", "retry_after": 30})],
)
PAYMENT_EXAMPLE = OpenApiExample(
    "A pending payment",
    value={"tx_ref": "nexus-5f2c9a1e07d4b3c8a6e1f0d2", "booking": 41, "amount": "12750.00",
           "currency": "ETB", "status": "pending",
           "checkout_url": "https://checkout.chapa.co/checkout/payment/V2h5IG5vdA",
           "failure_reason": "", "created_at": "2027-02-01T09:31:00+03:00",
           "updated_at": "2027-02-01T09:31:01+03:00"},
    response_only=True,
)


@extend_schema_view(
    list=extend_schema(summary="List your payments",
                       responses={200: PaymentSerializer(many=True), 401: UNAUTHORIZED}),
    retrieve=extend_schema(summary="Get one payment by its tx_ref",
                           responses={200: PaymentSerializer, 401: UNAUTHORIZED,
                                      404: NOT_FOUND}),
)
@extend_schema(tags=["bookings"])
class PaymentViewSet(GatewayErrorsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                     viewsets.GenericViewSet):
    """Pay for your bookings with Chapa."""

    serializer_class = PaymentSerializer
    permission_classes = [IsAuthenticated]
    filter_backends: list = []
    lookup_field = "tx_ref"
    lookup_value_regex = r"[\w.-]+"

    def get_queryset(self):
        return payment_list_visible_to(user=self.request.user)

    @extend_schema(
        summary="Start paying for a booking",
        description=(
            "Creates a pending payment for one of your pending bookings, for the booking's "
            "total, and returns Chapa's `checkout_url`: send the payer there. Every call is a "
            "new attempt with a new `tx_ref`. The outcome arrives by webhook; until then the "
            "payment is `pending`."
        ),
        request=PaymentInputSerializer,
        responses={201: PaymentSerializer, 401: UNAUTHORIZED,
                   409: conflict({"detail": "This booking is already paid.",
                                  "code": "booking_already_paid"},
                                 "The booking is paid, cancelled or completed."),
                   502: OpenApiResponse(description="Chapa refused the request."),
                   503: UNAVAILABLE},
        examples=[OpenApiExample("Pay for booking 41", value={"booking": 41},
                                 request_only=True), PAYMENT_EXAMPLE],
    )
    def create(self, request):
        data = PaymentInputSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        payment = payment_initiate(booking=data.validated_data["booking"],
                                   site_url=request.build_absolute_uri("/"))
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Check a payment with Chapa now",
        description="Asks Chapa's verify API about the payment and applies the answer once. "
                    "A settled payment is returned as it is.",
        request=None,
        responses={200: PaymentSerializer, 401: UNAUTHORIZED, 404: NOT_FOUND, 503: UNAVAILABLE},
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, tx_ref=None):
        payment = payment_verify(payment=self.get_object())
        return Response(PaymentSerializer(payment).data)


class ChapaEndpoint(GatewayErrorsMixin, APIView):
    """Called by Chapa's servers: no login, no throttle, no CSRF (there is no session)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []


@extend_schema(exclude=True)  # for Chapa, not for API clients
class ChapaWebhookView(ChapaEndpoint):
    """POST from Chapa for every charge event, signed over the raw body."""

    def post(self, request):
        # request.body, not request.data: the signature is over the exact bytes received.
        payment = payment_handle_webhook(body=request.body,
                                         signature=request.headers.get("x-chapa-signature"))
        # 200 tells Chapa to stop retrying. A 503 from an unreachable verify makes it retry.
        return Response({"received": True,
                         "status": payment.status if payment else None})


@extend_schema(exclude=True)
class ChapaCallbackView(ChapaEndpoint):
    """GET ``?trx_ref=…&ref_id=…&status=…`` after the payer acted. Unsigned: only a nudge."""

    def get(self, request):
        tx_ref = request.query_params.get("trx_ref")
        if not tx_ref:
            message = "Chapa's callback names the payment `trx_ref`"
            if "tx_ref" in request.query_params:
                message += " (with an r); this request has `tx_ref`, which Chapa never sends."
            raise exceptions.ValidationError({"trx_ref": [message]})
        payment = get_object_or_404(Payment, tx_ref=tx_ref)
        # The `status` parameter is ignored on purpose: anyone can call this URL with
        # status=success. Verify asks Chapa.
        payment = payment_verify(payment=payment)
        return Response({"status": payment.status})


OUTCOMES = {
    PaymentStatus.SUCCESS: ("paid", "Payment received"),
    PaymentStatus.FAILED: ("failed", "Payment failed"),
    PaymentStatus.CANCELLED: ("failed", "Payment cancelled"),
    PaymentStatus.PENDING: ("pending", "Payment pending"),
}


@require_GET
def payment_return(request, tx_ref: str):
    """Where Chapa sends the payer's browser back: the outcome, after asking Chapa.

    Public by necessity (the payer's browser may carry no session of ours), so it shows the
    outcome only; the booking's details need the guest's session, and no one's email is on it.
    """
    payment = get_object_or_404(Payment.objects.select_related("booking__listing"), tx_ref=tx_ref)
    gateway_down = False
    try:
        payment = payment_verify(payment=payment)
    except PaymentGatewayUnavailable:
        gateway_down = True  # show "pending": the webhook or reconciliation will settle it
    outcome, headline = OUTCOMES[payment.status]
    return render(request, "payments/return.html", {
        "payment": payment, "booking": payment.booking, "outcome": outcome,
        "headline": headline, "gateway_down": gateway_down,
        "is_payer": request.user.pk is not None and request.user.pk == payment.booking.guest_id,
    })
