"""The patient's "download my data": everything the clinic holds about them, a zip sent once.

A request (the patient online after re-authenticating, or the front desk for a request by post
or phone) is a ``DataExport`` row; ``build`` (the Celery task's body, idempotent) gathers every
record about the patient into ``data.json`` (``docs/schemas/patient-export.schema.json``) and a
readable ``summary.html``, stores the zip encrypted on the row and emails the patient a signed
link through the outbox. The link needs the patient signed in, works once and lapses after
``EXPORT_DAYS``; the archive is wiped when downloaded or expired.

This module sits in ``portal`` (the bottom app) so the outbox in ``followup`` can render the
link email; it reads the other apps' records through imports inside functions only, as the
import rules allow (docs/architecture.md, section 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from portal.audit import AuditAction, record_action
from portal.crypto import fernet
from portal.export_data import archive_bytes, collect
from portal.messaging import MessageKind, outbox_put
from portal.models import Clinic, DataExport, ExportChannel, ExportStatus, User

EXPORT_DAYS = 7
SIGNING_SALT = "portal.export.download"


# ---------------------------------------------------------------------------------------------
# Requesting


HANDOVER_REFUSED = (
    "This patient can sign in, so their data goes to them as an emailed link they open after "
    "signing in. Downloading it here is only for someone who cannot sign in."
)


def can_use_link(patient: User) -> bool:
    """Whether ``patient`` can sign in to use an emailed download link: an account that has
    not left, with an email address. No password yet (a caller the desk added) is no bar: the
    sign-in page's "forgot password" sets one from that address."""
    return bool(not patient.has_left and patient.has_email)


class ExportRefused(Exception):
    """A request the portal will not record, with a message fit for the desk."""


def request_export(
    *,
    patient: User,
    requested_by: User | None,
    channel: str,
    handover: bool = False,
    now: datetime | None = None,
) -> DataExport:
    """Record a request and queue its build; one already being prepared is returned instead.

    ``handover``: the desk downloads the file to post or give to the patient, no link email.
    Only for a patient who cannot sign in to use a link (``can_use_link``): the desk reads no
    health data, so anyone who can take the file themselves gets the link, never the desk."""
    from portal.tasks import build_data_export

    if channel not in ExportChannel.values:
        raise ValueError(f"Unknown channel {channel!r}")
    if handover and can_use_link(patient):
        raise ExportRefused(HANDOVER_REFUSED)
    existing = DataExport.objects.filter(patient=patient, status=ExportStatus.REQUESTED).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            export = DataExport.objects.create(
                clinic=patient.clinic or Clinic.objects.current(),
                patient=patient,
                requested_by=requested_by,
                channel=channel,
                handover=handover,
                requested_at=now or timezone.now(),
            )
            record_action(
                action=AuditAction.DATA_EXPORT_REQUESTED,
                actor=requested_by,
                subject=patient,
                detail={
                    "export": str(export.pk),
                    "channel": export.channel,
                    "delivery": "handover" if handover else "link",
                },
            )
            export_id = export.pk
            transaction.on_commit(lambda: build_data_export.delay(export_id))
    except IntegrityError:
        # Two tabs at once: the partial unique constraint kept one request.
        return DataExport.objects.get(patient=patient, status=ExportStatus.REQUESTED)
    return export


# ---------------------------------------------------------------------------------------------
# Building and sending (the Celery task's body)


def build(export_id: int, *, now: datetime | None = None) -> str:
    """Build one requested export, store it encrypted and email the link; safe to run twice.

    Returns "built", "resent" (already built: the email is put again, which the outbox's key
    makes a no-op once sent) or "gone" (downloaded, expired or unknown).
    """
    now = now or timezone.now()
    with transaction.atomic():
        export = (
            DataExport.objects.select_for_update(of=("self",))
            .select_related("patient__clinic")
            .filter(pk=export_id)
            .first()
        )
        if export is None or export.status in (ExportStatus.DOWNLOADED, ExportStatus.EXPIRED):
            return "gone"
        if export.status == ExportStatus.READY:
            outcome = "resent"
        else:
            zipped = archive_bytes(export.patient, collect(export.patient, now=now))
            export.archive = fernet().encrypt(zipped)
            export.size_bytes = len(zipped)
            export.status = ExportStatus.READY
            export.ready_at = now
            export.expires_at = now + timedelta(days=EXPORT_DAYS)
            export.save(update_fields=["archive", "size_bytes", "status", "ready_at", "expires_at"])
            record_action(
                action=AuditAction.DATA_EXPORT_PRODUCED,
                actor=None,
                subject=export.patient,
                detail={"export": str(export.pk), "size_bytes": str(len(zipped))},
            )
            outcome = "built"
        if not export.handover:
            transaction.on_commit(lambda: send_link(export_id))
    return outcome


def send_link(export_id: int) -> None:
    """Email the patient their download link through the outbox, once per export."""
    export = DataExport.objects.select_related("patient").filter(pk=export_id).first()
    if export is None or export.status != ExportStatus.READY:
        return
    outbox_put(
        kind=MessageKind.DATA_EXPORT,
        to_user=export.patient,
        dedupe_key=f"export:{export.pk}",
    )


def link_context(export_id: int) -> dict[str, Any] | None:
    """What the link email says (for the outbox), or None if there is nothing to download."""
    export = DataExport.objects.filter(
        pk=export_id, status=ExportStatus.READY, expires_at__gt=timezone.now()
    ).first()
    if export is None or export.expires_at is None:
        return None
    return {"export": export, "link": download_url(export), "expires_at": export.expires_at}


def download_token(export: DataExport) -> str:
    """The signed part of ``export``'s download address (its id; valid ``EXPORT_DAYS``)."""
    return signing.dumps({"export": export.pk}, salt=SIGNING_SALT, compress=True)


def download_url(export: DataExport) -> str:
    """The absolute download address for the link email."""
    return settings.SITE_URL.rstrip("/") + reverse("export_download", args=[download_token(export)])


# ---------------------------------------------------------------------------------------------
# Downloading


@dataclass(frozen=True)
class Refused:
    """Why a link gives no file: ``used``, ``expired`` or ``unknown`` (wrong patient too)."""

    why: str


def take_download(*, token: str, user: User, now: datetime | None = None) -> bytes | Refused:
    """The zip behind ``token`` for ``user`` (once), or why not; the archive is wiped as it goes."""
    try:
        payload = signing.loads(token, salt=SIGNING_SALT, max_age=timedelta(days=EXPORT_DAYS))
    except signing.SignatureExpired:
        return Refused("expired")
    except signing.BadSignature:
        return Refused("unknown")
    export_id = payload.get("export") if isinstance(payload, dict) else None
    if not isinstance(export_id, int):
        return Refused("unknown")
    return _take(DataExport.objects.filter(pk=export_id, patient_id=user.pk), by=user, now=now)


def take_handover(*, export_id: int, by: User, now: datetime | None = None) -> bytes | Refused:
    """The zip of a hand-over export for the desk member ``by`` (once), or why not."""
    clinic = by.clinic or Clinic.objects.current()
    found = DataExport.objects.filter(pk=export_id, handover=True, clinic=clinic)
    return _take(found, by=by, now=now, delivery="handover")


def _take(
    found: QuerySet[DataExport], *, by: User, now: datetime | None, delivery: str = ""
) -> bytes | Refused:
    """Hand over the one export ``found`` selects, once: decrypt, wipe, audit, under its lock."""
    now = now or timezone.now()
    with transaction.atomic():
        export = found.select_for_update().select_related("patient").first()
        if export is None:
            return Refused("unknown")
        if export.status == ExportStatus.DOWNLOADED:
            return Refused("used")
        if (
            export.status != ExportStatus.READY
            or export.archive is None
            or export.expires_at is None
            or export.expires_at <= now
        ):
            return Refused("expired")
        zipped = fernet().decrypt(bytes(export.archive))
        DataExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.DOWNLOADED, downloaded_at=now, archive=None
        )
        detail = {"export": str(export.pk), "channel": export.channel}
        if delivery:
            detail["delivery"] = delivery
        record_action(
            action=AuditAction.DATA_EXPORT_DOWNLOADED,
            actor=by,
            subject=export.patient,
            detail=detail,
        )
    return zipped


def file_name(now: datetime | None = None) -> str:
    return f"my-data-{(now or timezone.now()):%Y-%m-%d}.zip"


# ---------------------------------------------------------------------------------------------
# Clean-up (beat)


def delete_expired(*, now: datetime | None = None) -> int:
    """Wipe the archives of exports whose link has lapsed; returns how many."""
    now = now or timezone.now()
    return DataExport.objects.filter(status=ExportStatus.READY, expires_at__lte=now).update(
        status=ExportStatus.EXPIRED, archive=None
    )


def recent_exports(clinic: Clinic, *, limit: int = 50) -> list[DataExport]:
    """The latest requests, for the front desk's page (no health data: who, how, when, state)."""
    return list(
        DataExport.objects.filter(clinic=clinic)
        .select_related("patient", "requested_by")
        .defer("archive")[:limit]
    )
