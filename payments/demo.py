"""Demo money: a sliding-scale community clinic, a private visit paid online, a pending request.

Without Stripe keys (the plain demo) the online visit is offered as pay-at-clinic, and
the confirm page says why.
"""

from __future__ import annotations

from django.db import transaction

from booking.models import PaymentMode, PriceRule, Service
from payments.models import FeeReduction, FeeReductionStatus
from portal.models import Clinic, User

FEE_REQUEST = (
    "I'm a student and a single parent. I'd really like to carry on with treatment, but the "
    "full fee is hard for me to manage at the moment."
)


@transaction.atomic
def seed_payments(clinic: Clinic) -> None:
    """Prices for the demo services and Jordan's fee-reduction request (idempotent)."""
    Service.objects.filter(clinic=clinic, slug="community-clinic").update(
        price_rule=PriceRule.SLIDING,
        price_minor=2500,
        price_min_minor=1500,
        price_max_minor=3500,
        price_step_minor=500,
        payment_mode=PaymentMode.ONLINE,
    )
    Service.objects.filter(clinic=clinic, slug="initial-consultation").update(
        payment_mode=PaymentMode.ONLINE
    )
    jordan = User.objects.filter(email__iexact="jordan@patient.example").first()
    if jordan is not None and not FeeReduction.objects.filter(patient=jordan).exists():
        FeeReduction.objects.create(
            clinic=clinic, patient=jordan, reason=FEE_REQUEST, status=FeeReductionStatus.PENDING
        )
