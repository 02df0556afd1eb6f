"""Writing the pain diary: the patient's own scores added, corrected and deleted (the team keeps
every version: django-simple-history), and a check-in's score for its visit, written once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from booking.models import Booking
from intake.diary import diary_when_problem
from intake.models import DIARY_TAGS, DiaryEntry, DiarySource
from intake.services import IntakeError, clinic_id_of
from portal.models import User


def _check_score(pain: int, patient: User, recorded_at: datetime | None, *, now: datetime) -> None:
    """Refuse a score outside 0-10, or a time the diary cannot be for (``diary_when_problem``)."""
    if not 0 <= pain <= 10:
        raise IntakeError("Pain is scored from 0 (none) to 10 (the worst).")
    problem = diary_when_problem(patient, recorded_at, now=now) if recorded_at else ""
    if problem:
        raise IntakeError(problem)


def _known_tags(tags: Iterable[str]) -> list[str]:
    """The diary's own tags among ``tags``, each once, in the order given."""
    known = {value for value, _ in DIARY_TAGS}
    return [t for t in dict.fromkeys(tags) if t in known]


def diary_add(
    *,
    patient: User,
    pain: int,
    note: str = "",
    tags: list[str] | tuple[str, ...] = (),
    recorded_at: datetime | None = None,
    source: DiarySource = DiarySource.DIARY,
    booking: Booking | None = None,
) -> DiaryEntry:
    """Record a pain score; a check-in for a visit is recorded once (a retry returns it)."""
    from_diary = source == DiarySource.DIARY
    _check_score(pain, patient, recorded_at if from_diary else None, now=timezone.now())
    entry = DiaryEntry(
        clinic_id=clinic_id_of(patient),
        patient=patient,
        pain=pain,
        note=note.strip(),
        # A check-in's own tags (its reactions) are kept as the check-in gave them.
        tags=_known_tags(tags) if from_diary else list(dict.fromkeys(tags)),
        recorded_at=recorded_at or timezone.now(),
        source=source,
        booking=booking,
    )
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        if source == DiarySource.CHECKIN and booking is not None:
            return DiaryEntry.objects.get(booking=booking, source=DiarySource.CHECKIN)
        raise
    return entry


def _own_diary_entry(patient: User, entry_id: int) -> DiaryEntry:
    """The patient's own diary entry, locked; check-in answers are changed only by the
    check-in, never from the diary."""
    entry = (
        DiaryEntry.objects.select_for_update()
        .filter(pk=entry_id, patient=patient, source=DiarySource.DIARY)
        .first()
    )
    if entry is None:
        raise IntakeError("That diary entry is not there any more.")
    return entry


def diary_edit(
    *,
    patient: User,
    entry_id: int,
    pain: int,
    note: str = "",
    tags: list[str] | tuple[str, ...] = (),
    recorded_at: datetime,
    now: datetime | None = None,
) -> DiaryEntry:
    """Correct one of the patient's own diary scores; the version before is kept in the
    entry's history for the team. Saving it unchanged keeps no new version."""
    _check_score(pain, patient, recorded_at, now=now or timezone.now())
    changes = {
        "pain": pain,
        "note": note.strip(),
        "tags": _known_tags(tags),
        "recorded_at": recorded_at,
    }
    with transaction.atomic():
        entry = _own_diary_entry(patient, entry_id)
        if all(getattr(entry, name) == value for name, value in changes.items()):
            return entry
        for name, value in changes.items():
            setattr(entry, name, value)
        # simple-history's documented way to name who made this version.
        entry._history_user = patient  # type: ignore[attr-defined]
        entry.save()
    return entry


def diary_delete(*, patient: User, entry_id: int) -> bool:
    """Delete one of the patient's own diary scores; its last version stays in the history
    for the team. Deleting twice changes nothing (False)."""
    with transaction.atomic():
        try:
            entry = _own_diary_entry(patient, entry_id)
        except IntakeError:
            return False
        entry._history_user = patient  # type: ignore[attr-defined]
        entry.delete()
    return True


@dataclass(frozen=True)
class DiaryChange:
    """A diary entry the patient changed or deleted, with every version kept (oldest first)."""

    entry_id: int
    versions: list[Any]
    deleted: bool


def diary_changes(patient: User) -> list[DiaryChange]:
    """The patient's corrected or deleted diary entries with their kept versions, newest
    change first (for the team's diary page; one query)."""
    rows = list(
        DiaryEntry.history.filter(patient_id=patient.pk, source=DiarySource.DIARY).order_by(
            "id", "history_date", "history_id"
        )
    )
    by_entry: dict[int, list[Any]] = {}
    for row in rows:
        by_entry.setdefault(row.id, []).append(row)
    changes = [
        DiaryChange(entry_id, versions, deleted=versions[-1].history_type == "-")
        for entry_id, versions in by_entry.items()
        if len(versions) > 1 or versions[-1].history_type == "-"
    ]
    changes.sort(key=lambda c: c.versions[-1].history_date, reverse=True)
    return changes
