"""Every email the portal sends: the one way in (``outbox_put``), the kinds, and rendering.

Any app puts a message with ``outbox_put`` inside its own transaction: the row
(``followup.OutboxMessage``, reached through the app registry so no app imports ``followup``)
commits or rolls back with the change it announces, and the broker only carries "look at
row N" after the commit. A lost broker message only delays: beat's dispatcher sweeps due rows
every minute. ``followup.outbox`` claims, re-checks, sends and marks each row.

Each email is ``templates/email/<name>_subject.txt``, ``<name>.txt`` and
``<name>.html``, rendered with the clinic in the context. The subject and the plain text go
through the "text" template engine (no HTML escaping: "A&E" stays "A&E"), the HTML through the
default one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, models, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from portal.models import Clinic, User

log = logging.getLogger(__name__)


class MessageKind(models.TextChoices):
    BOOKING_CONFIRMED = "booking_confirmed", "Booking confirmation"
    BOOKING_CANCELLED = "booking_cancelled", "Cancellation"
    BOOKING_MOVED = "booking_moved", "Visit moved"
    PRE_VISIT = "pre_visit", "Pre-visit guidance"
    FIRST_VISIT = "first_visit", "First-visit guidance"
    CHECKIN = "checkin", "48-hour check-in"
    CHECKIN_CHASER = "checkin_chaser", "Check-in reminder"
    RECHECK = "recheck", "Day-5 re-check"
    URGENT_ADVICE = "urgent_advice", "Urgent care advice"
    INTAKE_ADVICE = "intake_advice", "Advice after the health questionnaire"
    ALERT_URGENT = "alert_urgent", "Emergency or urgent alert (team)"
    ALERT_CHASE = "alert_chase", "Alert not acknowledged: sent again (team and owner)"
    ALERT_DIGEST = "alert_digest", "Daily alert digest (practitioner)"
    TREATMENT_HOLD = "treatment_hold", "Treatment on hold until a practitioner has talked with you"
    DATA_EXPORT = "data_export", "Your data is ready to download"
    PAYMENT_REFUNDED = "payment_refunded", "Refund sent"
    FEE_REDUCTION_APPROVED = "fee_reduction_approved", "Fee reduction approved"
    FEE_REDUCTION_DECLINED = "fee_reduction_declined", "Fee reduction declined"
    TEAM_INVITATION = "team_invitation", "New team account: choose your password"
    WAITLIST_OFFER = "waitlist_offer", "A place from the waiting list"


# Sent whatever the hour: a red flag or the confirmation of something just done.
URGENT_KINDS = frozenset(
    {
        MessageKind.BOOKING_CONFIRMED,
        MessageKind.BOOKING_CANCELLED,
        MessageKind.BOOKING_MOVED,
        MessageKind.URGENT_ADVICE,
        MessageKind.INTAKE_ADVICE,
        MessageKind.ALERT_URGENT,
        MessageKind.ALERT_CHASE,
        # The answer to something the patient just asked for, with a link that lapses.
        MessageKind.DATA_EXPORT,
        # The owner just added this person and is waiting for them to sign in.
        MessageKind.TEAM_INVITATION,
        # A held place that lapses in hours: waiting for the morning would waste it.
        MessageKind.WAITLIST_OFFER,
    }
)
# Kinds whose very existence says something about a patient's health (felt worse after a
# treatment, a red flag, advice to seek care, a hold): the admin, where the front desk and the
# owner (who read no health data) see the outbox, leaves them out.
HEALTH_KINDS = frozenset(
    {
        MessageKind.RECHECK,
        MessageKind.URGENT_ADVICE,
        MessageKind.INTAKE_ADVICE,
        MessageKind.ALERT_URGENT,
        MessageKind.ALERT_CHASE,
        MessageKind.ALERT_DIGEST,
        MessageKind.TREATMENT_HOLD,
    }
)
# Guidance before a visit: one per visit whichever kind (``outbox_one_guidance_per_visit``).
GUIDANCE_KINDS = frozenset({MessageKind.PRE_VISIT, MessageKind.FIRST_VISIT})

# The template triplet each kind is written in (``templates/email/<name>*``).
TEMPLATES = {
    MessageKind.BOOKING_CONFIRMED: "booking_confirmed",
    MessageKind.BOOKING_CANCELLED: "booking_cancelled",
    MessageKind.BOOKING_MOVED: "booking_moved",
    MessageKind.PRE_VISIT: "followup_pre_visit",
    MessageKind.FIRST_VISIT: "followup_first_visit",
    MessageKind.CHECKIN: "followup_checkin",
    MessageKind.CHECKIN_CHASER: "followup_checkin_chaser",
    MessageKind.RECHECK: "followup_recheck",
    MessageKind.URGENT_ADVICE: "followup_urgent_advice",
    MessageKind.INTAKE_ADVICE: "followup_intake_advice",
    MessageKind.ALERT_URGENT: "followup_alert_urgent",
    MessageKind.ALERT_CHASE: "followup_alert_chase",
    MessageKind.ALERT_DIGEST: "followup_alert_digest",
    MessageKind.TREATMENT_HOLD: "followup_treatment_hold",
    MessageKind.DATA_EXPORT: "data_export_ready",
    MessageKind.PAYMENT_REFUNDED: "payment_refunded",
    MessageKind.FEE_REDUCTION_APPROVED: "fee_reduction_approved",
    MessageKind.FEE_REDUCTION_DECLINED: "fee_reduction_declined",
    MessageKind.TEAM_INVITATION: "team_invitation",
    MessageKind.WAITLIST_OFFER: "waitlist_offer",
}

# The worker task that sends one row; named, not imported, because followup sits above portal.
SEND_TASK = "followup.tasks.send_outbox_message"


def outbox_model() -> type[models.Model]:
    """``followup.OutboxMessage``, through the app registry (portal imports no app above it)."""
    return apps.get_model("followup", "OutboxMessage")


def outbox_put(
    *,
    kind: MessageKind | str,
    to_user: User | int,
    dedupe_key: str = "",
    booking: models.Model | int | None = None,
    context: dict[str, Any] | None = None,
    due_at: datetime | None = None,
    send_now: bool = True,
    booking_is_new: bool = False,
) -> tuple[Any, bool]:
    """Put one email in the outbox, in the caller's transaction; returns (row, whether new).

    The key is (kind, booking, ``dedupe_key``), or (kind, recipient, ``dedupe_key``) without a
    booking: putting the same message twice returns the first row. ``context`` (JSON, stored
    encrypted) is what the template needs beyond the recipient and the booking. With
    ``send_now`` a new row due now is handed to a worker once the transaction commits; a broker
    outage is logged, never raised (the dispatcher sweeps due rows every minute).
    ``booking_is_new``: the booking was made in this transaction, so no row can share its key
    and the insert needs no savepoint (two round trips fewer on the booking path).
    """
    model: Any = outbox_model()
    recipient_id = to_user if isinstance(to_user, int) else to_user.pk
    booking_id = booking if booking is None or isinstance(booking, int) else booking.pk
    now = timezone.now()
    try:
        with transaction.atomic(savepoint=not booking_is_new):
            row = model.objects.create(
                kind=kind,
                recipient_id=recipient_id,
                booking_id=booking_id,
                extra=dedupe_key,
                context=context or {},
                due_at=due_at or now,
            )
    except IntegrityError:
        # A second planner, a retried task or a double submit made it first: the key decides.
        if booking_id is not None:
            same = model.objects.filter(kind=kind, booking_id=booking_id, extra=dedupe_key).first()
            if same is None and kind in GUIDANCE_KINDS:
                # The visit already has its guidance under the other kind (one per visit).
                same = model.objects.filter(booking_id=booking_id, kind__in=GUIDANCE_KINDS).first()
        else:
            same = model.objects.filter(
                kind=kind, recipient_id=recipient_id, extra=dedupe_key, booking__isnull=True
            ).first()
        if same is None:
            raise
        return same, False
    if send_now and row.due_at <= now:
        message_id = row.pk
        transaction.on_commit(lambda: hand_to_worker(message_id))
    return row, True


# Outbox statuses of a message that was sent or still will be (not skipped, failed or expired).
GOING_STATUSES = ("pending", "held", "sending", "sent")


def email_on_its_way(*, kind: MessageKind | str, booking: models.Model | int) -> bool:
    """Whether the ``kind`` email about ``booking`` was sent or will be: its outbox row exists,
    was not skipped or given up, and its recipient has an address. What a page may promise
    ("We have emailed you") and nothing less."""
    model: Any = outbox_model()
    booking_id = booking if isinstance(booking, int) else booking.pk
    rows = model.objects.filter(
        kind=kind, booking_id=booking_id, status__in=GOING_STATUSES
    ).select_related("recipient")
    return any(row.recipient.has_email for row in rows)


def hand_to_worker(message_id: int) -> None:
    """Ask a worker to send row ``message_id`` now; a broker outage only delays it to the
    dispatcher's next sweep, so it is logged here and never turns a done action into an error."""
    from celery import current_app

    try:
        task = current_app.tasks.get(SEND_TASK)
        if task is not None:
            task.delay(message_id)
        else:
            current_app.send_task(SEND_TASK, args=[message_id])
    except Exception:  # kombu and redis raise transport-specific errors
        log.warning(
            "outbox %s: could not reach the broker; beat's dispatcher will send it",
            message_id,
            exc_info=True,
        )


# The template engine for plain text (settings.TEMPLATES): autoescape off.
TEXT_ENGINE = "text"


@dataclass
class Attachment:
    filename: str
    content: bytes
    mimetype: str


@dataclass
class RenderedEmail:
    subject: str
    text: str
    html: str
    attachments: list[Attachment] = field(default_factory=list)


def render_email(name: str, context: dict[str, Any], clinic: Clinic | None = None) -> RenderedEmail:
    """Render ``templates/email/<name>*`` for ``clinic`` (default: the current one)."""
    clinic = clinic or Clinic.objects.current()
    context = {"clinic": clinic, "site_url": settings.SITE_URL, **context}
    subject = " ".join(
        render_to_string(f"email/{name}_subject.txt", context, using=TEXT_ENGINE).split()
    )
    return RenderedEmail(
        subject=subject,
        text=render_to_string(f"email/{name}.txt", context, using=TEXT_ENGINE),
        html=render_to_string(f"email/{name}.html", context),
    )


def from_address(clinic: Clinic | None = None) -> str:
    """The From of every email: the clinic's own (``Clinic.email_from``), else the setting."""
    clinic = clinic or Clinic.objects.current()
    return clinic.email_from or settings.DEFAULT_FROM_EMAIL


def send_email(
    to: str,
    email: RenderedEmail,
    connection: BaseEmailBackend | None = None,
    clinic: Clinic | None = None,
) -> None:
    """Send one rendered email to one address (raises on transport errors so tasks can retry);
    pass an open ``connection`` to send many over one mail-server session."""
    clinic = clinic or Clinic.objects.current()
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text,
        from_email=from_address(clinic),
        to=[to],
        reply_to=[clinic.email] if clinic.email else None,
        connection=connection,
    )
    message.attach_alternative(email.html, "text/html")
    for attachment in email.attachments:
        message.attach(attachment.filename, attachment.content, attachment.mimetype)
    message.send()
