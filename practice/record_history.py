"""The versions of treatment records (kept by django-simple-history): who wrote, who corrected
what and when."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from practice.models import TreatmentRecord

# The fields a practitioner writes, in the order the form shows them.
WRITTEN_FIELDS = (
    "areas_and_points",
    "needle_count",
    "depth",
    "stimulation",
    "style",
    "other_techniques",
    "reaction",
    "plan_next_time",
)


@dataclass(frozen=True)
class Version:
    number: int
    at: datetime
    by: Any  # the User who saved it, None if their account is gone
    changed: tuple[str, ...]  # labels of the fields this version changed (empty for the first)
    record: Any  # the historical row, read like a TreatmentRecord


def _label(name: str) -> str:
    field = TreatmentRecord._meta.get_field(name)
    return str(getattr(field, "verbose_name", name)).capitalize()


def versions_of(records: Iterable[TreatmentRecord]) -> dict[int, list[Version]]:
    """Every version of each record, oldest first, keyed by record id (one query)."""
    ids = [r.pk for r in records if r is not None]
    rows = (
        TreatmentRecord.history.filter(id__in=ids)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    by_record: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        by_record[row.id].append(row)
    result: dict[int, list[Version]] = {}
    for record_id, history in by_record.items():
        versions = []
        for number, row in enumerate(history, start=1):
            before = history[number - 2] if number > 1 else None
            changed = (
                tuple(
                    _label(name)
                    for name in WRITTEN_FIELDS
                    if getattr(row, name) != getattr(before, name)
                )
                if before is not None
                else ()
            )
            versions.append(Version(number, row.history_date, row.history_user, changed, row))
        result[record_id] = versions
    return result


def mark_edits(records: Iterable[TreatmentRecord | None]) -> None:
    """Give each record ``last_edit`` (its newest version if it was corrected after being
    written, else None) and ``version_count``, for the record card (one query)."""
    present = [r for r in records if r is not None]
    versions = versions_of(present)
    for record in present:
        mine = versions.get(record.pk, [])
        record.version_count = len(mine)  # type: ignore[attr-defined]
        record.last_edit = mine[-1] if len(mine) > 1 else None  # type: ignore[attr-defined]
