"""Demo money: a sliding-scale community clinic, a private treatment on a sliding scale, a
private visit paid online, a pending request.

Without Stripe keys (the plain demo) the online visit is offered as pay-at-clinic, and
the confirm page says why.
"""

from __future__ import annotations

from django.db import transaction

from booking.models import PaymentMode, PriceRule, Service, ServiceKind
from payments.models import FeeReduction, FeeReductionStatus
from portal.models import Clinic, User

# A private visit whose price the patient chooses, so the demo shows that choice in a private
# room as well as in the community clinic. Paid as the clinic's default says (at the clinic).
PRIVATE_SLIDING = dict(
    slug="treatment-sliding-scale",
    name="Private treatment, sliding scale",
    kind=ServiceKind.PRIVATE,
    duration_minutes=45,
    buffer_after_minutes=15,
    price_rule=PriceRule.SLIDING,
    price_minor=4000,
    price_min_minor=3000,
    price_max_minor=5000,
    price_step_minor=500,
    position=5,
    description="Treatment in a private room, at a price you choose. The same care whatever "
    "you pay, and nobody asks why.",
)

FEE_REQUEST = (
    "I'm a student and a single parent. I'd really like to carry on with treatment, but the "
    "full fee is hard for me to manage at the moment."
)


@transaction.atomic
def seed_payments(clinic: Clinic) -> None:
    """Prices for the demo services, the private sliding-scale treatment and Jordan's
    fee-reduction request (idempotent)."""
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
    sliding, _ = Service.objects.update_or_create(
        clinic=clinic, slug=PRIVATE_SLIDING["slug"], defaults=PRIVATE_SLIDING
    )
    # Whoever sees patients for follow-ups sees them on the sliding scale too.
    follow_up = Service.objects.filter(clinic=clinic, slug="follow-up").first()
    if follow_up is not None:
        sliding.practitioners.set(follow_up.practitioners.all())
    jordan = User.objects.filter(email__iexact="jordan@patient.example").first()
    if jordan is not None and not FeeReduction.objects.filter(patient=jordan).exists():
        FeeReduction.objects.create(
            clinic=clinic, patient=jordan, reason=FEE_REQUEST, status=FeeReductionStatus.PENDING
        )
