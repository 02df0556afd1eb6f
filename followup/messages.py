"""What each outbox message says, and whether it still makes sense at the moment of sending.

``prepare`` re-reads the state a message depends on (the visit, the check-in, the alert) and
either renders the email or says why it is skipped: a visit cancelled or moved since the row
was planned never gets the old visit's messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from booking.ics import booking_ics
from booking.models import Booking, BookingStatus, WaitlistOffer
from booking.waitlist.links import offer_url
from booking.waitlist_models import OfferStatus, PlaceStatus
from followup.advice import advice_context, intake_advice_context
from followup.links import checkin_url
from followup.models import CheckIn, CheckInStage, MessageKind, OutboxMessage
from followup.visits import is_treatment, treatment_number, went_ahead
from intake.models import Alert, AlertLevel
from intake.services import booking_paused
from intake.triage import INTAKE_RED_FLAG
from portal import policy
from portal.export import link_context
from portal.messaging import TEMPLATES, Attachment, RenderedEmail, render_email
from portal.models import Clinic, Role, User
from portal.opening_hours import callback_day
from portal.params import parse_id


@dataclass(frozen=True)
class Skip:
    reason: str


@dataclass
class Prepared:
    email: RenderedEmail


# Why guidance was not sent: the patient's treatment is on hold. The planner puts such a row
# back in the queue once the hold is cleared (``planner.plan_guidance``).
ON_HOLD = "The patient's treatment is on hold until a practitioner clears a flag."
# Urgent alerts whose email says more than the general one (still never the patient's answers).
URGENT_ALERT_TEMPLATES = {INTAKE_RED_FLAG: "followup_alert_intake_red_flag"}
CHECKIN_STAGE = {
    MessageKind.CHECKIN: CheckInStage.CHECKIN,
    MessageKind.CHECKIN_CHASER: CheckInStage.CHECKIN,
    MessageKind.RECHECK: CheckInStage.RECHECK,
}
CANCELLED = (BookingStatus.CANCELLED, BookingStatus.LATE_CANCELLED)
# The team's emails about patients' alerts: only for someone still on the team when sent.
TEAM_ALERT_KINDS = frozenset(
    {MessageKind.ALERT_URGENT, MessageKind.ALERT_CHASE, MessageKind.ALERT_DIGEST}
)
# Kinds whose context the app that put them wrote on the row (``OutboxMessage.context``):
# nothing about them changes before sending, and followup cannot import payments to look.
STORED_CONTEXT_KINDS = frozenset(
    {
        MessageKind.PAYMENT_REFUNDED,
        MessageKind.FEE_REDUCTION_APPROVED,
        MessageKind.FEE_REDUCTION_DECLINED,
    }
)


def _booking_context(
    message: OutboxMessage, booking: Booking, now: datetime
) -> dict[str, Any] | Skip:
    kind = message.kind
    status = booking.status
    if kind in (MessageKind.BOOKING_CONFIRMED, MessageKind.BOOKING_MOVED) and (
        status != BookingStatus.CONFIRMED
    ):
        return Skip(f"The visit is {booking.status_phrase}, not confirmed.")
    if kind == MessageKind.BOOKING_CANCELLED and status not in CANCELLED:
        return Skip(f"The visit is {booking.status_phrase}, not cancelled.")
    if kind in (MessageKind.PRE_VISIT, MessageKind.FIRST_VISIT):
        if status != BookingStatus.CONFIRMED:
            return Skip(f"The visit is {booking.status_phrase}.")
        if booking.starts_at <= now:
            return Skip("The visit has already started.")
        if is_treatment(booking) and booking_paused(booking.patient):
            return Skip(ON_HOLD)
    context: dict[str, Any] = {"booking": booking, "patient": booking.patient}
    if kind == MessageKind.BOOKING_MOVED:
        context["moved_from"] = booking.rescheduled_from
    if kind == MessageKind.FIRST_VISIT:
        context["treatment_number"] = treatment_number(booking)
    stage = CHECKIN_STAGE.get(MessageKind(kind))
    if stage is not None:
        if not went_ahead(booking, now):
            return Skip(f"The visit is {booking.status_phrase}: no check-in.")
        if CheckIn.objects.filter(booking=booking, stage=stage).exists():
            return Skip("Already answered.")
        context["link"] = checkin_url(booking_id=booking.pk, stage=stage)
    return context


def _hold_context(message: OutboxMessage) -> dict[str, Any] | Skip:
    if not booking_paused(message.recipient):
        return Skip("The hold was cleared before the message went out.")
    return {
        "patient": message.recipient,
        "bookings_link": settings.SITE_URL + reverse("booking:mine"),
    }


def _export_context(message: OutboxMessage) -> dict[str, Any] | Skip:
    export_id = parse_id(message.extra.removeprefix("export:"))
    found = link_context(export_id) if export_id is not None else None
    if found is None:
        return Skip("The export was downloaded or has expired.")
    return {"patient": message.recipient, **found}


def _invitation_context(message: OutboxMessage) -> dict[str, Any] | Skip:
    person = message.recipient
    if person.has_usable_password() and person.last_login is not None:
        return Skip("They have already chosen a password and signed in.")
    # allauth's own password-reset link, made at sending time: it works once, and stops
    # working when the password changes (the token hashes it).
    uid = user_pk_to_url_str(person)
    token = default_token_generator.make_token(person)
    path = reverse("account_reset_password_from_key", kwargs={"uidb36": uid, "key": token})
    return {
        "person": person,
        "role": "a practitioner" if person.role == Role.PRACTITIONER else "clinic staff",
        "link": settings.SITE_URL + path,
        "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }


def _waitlist_context(
    message: OutboxMessage, clinic: Clinic, now: datetime
) -> dict[str, Any] | Skip:
    offer_id = parse_id(message.extra.removeprefix("offer:"))
    offer = (
        WaitlistOffer.objects.select_related(
            "place__service", "place__practitioner", "entry__patient"
        )
        .filter(pk=offer_id)
        .first()
        if offer_id is not None
        else None
    )
    if offer is None or offer.status != OfferStatus.SENT:
        return Skip("The offer was answered, withdrawn or has lapsed.")
    place = offer.place
    if place.status != PlaceStatus.OPEN or place.expires_at <= now:
        return Skip("The place was taken or its hold ran out.")
    tz = clinic.tz
    return {
        "patient": offer.entry.patient,
        "place": place,
        "link": offer_url(offer),
        "others": place.offers.exclude(pk=offer.pk).exists(),
        "same_day": place.expires_at.astimezone(tz).date() == now.astimezone(tz).date(),
    }


def _dashboard_url() -> str:
    return settings.SITE_URL + reverse("practitioner_dashboard")


def _alert_context(message: OutboxMessage, clinic: Clinic, now: datetime) -> dict[str, Any] | Skip:
    if message.kind in (MessageKind.ALERT_URGENT, MessageKind.ALERT_CHASE):
        alert = Alert.objects.select_related("patient").filter(pk=int(message.extra)).first()
        if alert is None or alert.acknowledged_at is not None:
            return Skip("The alert was already acknowledged.")
        return {
            "alert": alert,
            "patient": alert.patient,
            "practitioner": message.recipient,
            "link": _dashboard_url(),
            "emergency": alert.level == AlertLevel.EMERGENCY,
            "waited_minutes": clinic.alert_ack_minutes,
        }
    alerts = digest_alerts(
        clinic=clinic,
        recipient=message.recipient,
        day=date.fromisoformat(message.extra),
        now=now,
    )
    if not alerts:
        return Skip("Every routine alert was acknowledged before the digest.")
    return {"alerts": alerts, "practitioner": message.recipient, "link": _dashboard_url()}


def digest_alerts(*, clinic: Clinic, recipient: User, day: date, now: datetime) -> list[Alert]:
    """Unacknowledged routine alerts for one practitioner raised in the 24 hours before the
    digest time on ``day`` (each alert goes in one digest), on patients whose record they may
    read now (``policy.alerts_for``, as their dashboard lists them): the digest named every
    patient with a note for them, a visit they booked themself included
    (tests/portal/test_attacker_round9.py)."""
    ends = datetime.combine(day, clinic.alert_digest_time, tzinfo=clinic.tz)
    return list(
        policy.alerts_for(recipient, now=now)
        .filter(
            clinic=clinic,
            level=AlertLevel.ROUTINE,
            acknowledged_at__isnull=True,
            created_at__gte=ends - timedelta(days=1),
            created_at__lt=ends,
        )
        .filter(Q(practitioner__isnull=True) | Q(practitioner__user_id=recipient.pk))
        .select_related("patient")
        .order_by("created_at")
    )


def prepare(message: OutboxMessage, *, clinic: Clinic, now: datetime) -> Prepared | Skip:
    """Render ``message`` as it should go out now, or say why it should not."""
    if message.recipient.has_left:
        return Skip("The recipient's account is closed.")
    kind = MessageKind(message.kind)
    if kind in TEAM_ALERT_KINDS and not policy.is_on_team(message.recipient):
        # Put while they were on the team: a patient's alert is the team's alone.
        return Skip("The recipient is no longer on the clinic team.")
    context: dict[str, Any] | Skip
    if kind == MessageKind.INTAKE_ADVICE:
        advice = intake_advice_context(message)
        context = advice if advice is not None else Skip("No advice is due for that answer.")
    elif kind in TEAM_ALERT_KINDS:
        context = _alert_context(message, clinic, now)
    elif kind == MessageKind.TREATMENT_HOLD:
        context = _hold_context(message)
    elif kind == MessageKind.DATA_EXPORT:
        context = _export_context(message)
    elif kind == MessageKind.TEAM_INVITATION:
        context = _invitation_context(message)
    elif kind == MessageKind.WAITLIST_OFFER:
        context = _waitlist_context(message, clinic, now)
    elif kind in STORED_CONTEXT_KINDS:
        context = {**message.context, "patient": message.recipient}
        if context.get("ends_on"):  # JSON keeps the fee reduction's end date as ISO text
            context["ends_on"] = date.fromisoformat(context["ends_on"])
        if message.booking_id:
            context["booking"] = message.booking
    else:
        booking = message.booking
        if booking is None:
            return Skip("The visit no longer exists.")
        context = _booking_context(message, booking, now)
        if not isinstance(context, Skip) and kind == MessageKind.URGENT_ADVICE:
            context["stage"] = message.extra
            context.update(advice_context(booking, message.extra))
    if not isinstance(context, Skip) and kind in (
        MessageKind.INTAKE_ADVICE,
        MessageKind.URGENT_ADVICE,
    ):
        context["callback_day"] = callback_day(clinic, now)
    if isinstance(context, Skip):
        return context
    context["clinic"] = clinic
    template = TEMPLATES[kind]
    if kind == MessageKind.ALERT_URGENT:
        template = URGENT_ALERT_TEMPLATES.get(context["alert"].kind, template)
    email = render_email(template, context, clinic=clinic)
    if kind in (
        MessageKind.BOOKING_CONFIRMED,
        MessageKind.BOOKING_MOVED,
        MessageKind.BOOKING_CANCELLED,
    ):
        email.attachments.append(
            Attachment("visit.ics", booking_ics(context["booking"]), "text/calendar")
        )
    return Prepared(email=email)
