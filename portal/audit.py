"""The audit trail: an append-only record of the actions a data-protection officer asks about.

Health reads have their own log (``intake.models.HealthAccess``); this trail holds the other
team actions (role changes, second-factor resets, refunds, fee decisions, flag clears, alert
acknowledgements, break-glass reads, exports, anonymisations and requests). Rows are written
in the caller's transaction, so an action that rolls back leaves no row behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet

from portal.models import AuditAction, AuditEvent, Clinic, User

__all__ = ["AuditAction", "csv_rows", "record_action", "trail"]


def record_action(
    *,
    action: AuditAction,
    actor: User | None,
    subject: User | None = None,
    detail: dict[str, Any] | None = None,
    clinic: Clinic | None = None,
) -> AuditEvent:
    """Append one row to the trail: ``actor`` (None for the system) did ``action`` about
    ``subject``. ``detail`` is for short facts, never health words."""
    actor = actor if actor is not None and actor.is_authenticated else None
    clinic = clinic or _clinic_of(subject) or _clinic_of(actor) or Clinic.objects.current()
    return AuditEvent.objects.create(
        clinic=clinic,
        action=AuditAction(action).value,
        actor=actor,
        actor_email=actor.email if actor else "",
        subject=subject,
        detail=detail or {},
    )


def _clinic_of(user: User | None) -> Clinic | None:
    return user.clinic if user is not None and user.clinic_id else None


def trail(
    *,
    clinic: Clinic,
    action: str = "",
    person: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """The clinic's trail, newest first, filtered by action, a person (who acted or whom it
    concerns, by email or name) and a date range in the clinic's time zone."""
    rows = AuditEvent.objects.filter(clinic=clinic).select_related("subject")
    if action:
        rows = rows.filter(action=action)
    if person:
        people = User.objects.filter(
            Q(email__icontains=person)
            | Q(first_name__icontains=person)
            | Q(last_name__icontains=person)
        ).values("pk")
        rows = rows.filter(
            Q(actor_email__icontains=person) | Q(actor__in=people) | Q(subject__in=people)
        )
    if since is not None:
        rows = rows.filter(at__gte=datetime.combine(since, time(0), tzinfo=clinic.tz))
    if until is not None:
        rows = rows.filter(
            at__lt=datetime.combine(until + timedelta(days=1), time(0), tzinfo=clinic.tz)
        )
    return rows


CSV_HEADER = ("when", "action", "by", "about", "detail")


# What a spreadsheet reads as the start of a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: str) -> str:
    """``value`` as a spreadsheet shows it, never runs it: one that would start a formula
    ("=HYPERLINK(...)", an email address such as "=1+2@example.com") gets a leading "'"."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def csv_rows(events: Iterable[AuditEvent], clinic: Clinic) -> Iterator[list[str]]:
    """The trail as CSV rows (header first), times in the clinic's zone; any cell a
    spreadsheet would read as a formula is written as text (``spreadsheet_text``)."""
    yield list(CSV_HEADER)
    for event in events:
        yield [
            spreadsheet_text(cell)
            for cell in (
                event.at.astimezone(clinic.tz).isoformat(timespec="seconds"),
                event.action_label,
                event.actor_email or "system",
                _person(event.subject, event.subject_id),
                "; ".join(f"{key}={value}" for key, value in sorted(event.detail.items())),
            )
        ]


def _person(user: User | None, pk: int | None) -> str:
    if pk is None:
        return ""
    if user is None:
        return f"deleted account #{pk}"
    return user.email


def _second_factor_changed(action: AuditAction) -> Any:
    def receiver(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
        authenticator = kwargs.get("authenticator")
        kind = getattr(authenticator, "type", "")
        record_action(action=action, actor=user, subject=user, detail={"type": kind})

    return receiver


_on_added = _second_factor_changed(AuditAction.SECOND_FACTOR_ADDED)
_on_removed = _second_factor_changed(AuditAction.SECOND_FACTOR_REMOVED)
_on_reset = _second_factor_changed(AuditAction.RECOVERY_CODES_RENEWED)


def connect_signals() -> None:
    """Called from the app config: a person's own second-factor changes join the trail."""
    from allauth.mfa import signals

    signals.authenticator_added.connect(_on_added, dispatch_uid="portal.audit.mfa_added")
    signals.authenticator_removed.connect(_on_removed, dispatch_uid="portal.audit.mfa_removed")
    signals.authenticator_reset.connect(_on_reset, dispatch_uid="portal.audit.mfa_reset")
