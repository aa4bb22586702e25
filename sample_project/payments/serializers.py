"""How payments look in the API, and what a client may send to start one."""

from rest_framework import serializers

from bookings.models import Booking
from payments.models import Payment


class PaymentSerializer(serializers.ModelSerializer):
    """A payment attempt as its guest sees it. No verify payload: that is for support."""

    class Meta:
        model = Payment
        fields = ["tx_ref", "booking", "amount", "currency", "status", "checkout_url",
                  "failure_reason", "created_at", "updated_at"]
        read_only_fields = fields


class PaymentInputSerializer(serializers.Serializer):
    """Start paying for one of your bookings. Only the booking: the amount is the booking's."""

    booking = serializers.PrimaryKeyRelatedField(queryset=Booking.objects.none())

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")  # absent when the schema generator builds it
        if request is not None:
            # Someone else's booking is "does not exist", like an id that doesn't: no hint.
            self.fields["booking"].queryset = Booking.objects.filter(guest=request.user)
