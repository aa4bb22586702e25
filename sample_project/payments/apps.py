from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from django.db.models import Q

        from bookings.services import booking_expiry_exempt
        from payments.models import PaymentStatus

        # A booking with a successful payment is paid, not "unpaid": the expiry keeps it.
        booking_expiry_exempt(Q(payments__status=PaymentStatus.SUCCESS))
