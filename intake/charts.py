"""Pain over time as a server-rendered SVG with visit markers, and the same data as a table.

``build_chart`` is pure (numbers in, coordinates out) so it is tested without a
database; ``pain_chart`` reads a patient's diary and visits and calls it. The
template ``intake/_pain_chart.html`` draws the result with no JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from booking.models import KEPT_STATUSES, Booking
from intake.models import DIARY_TAGS, DiaryEntry, DiarySource
from portal.models import User

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 704, 20, 256
MIN_SPAN = timedelta(days=14)


@dataclass(frozen=True)
class Reading:
    at: datetime
    pain: int
    source: str = DiarySource.DIARY
    tags: tuple[str, ...] = ()
    note: str = ""
    is_visit = False

    @property
    def tag_labels(self) -> list[str]:
        labels = dict(DIARY_TAGS)
        return [labels.get(tag, tag.replace("_", " ").capitalize()) for tag in self.tags]


@dataclass(frozen=True)
class Visit:
    at: datetime
    label: str
    is_visit = True


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    reading: Reading

    @property
    def is_checkin(self) -> bool:
        return self.reading.source == DiarySource.CHECKIN


@dataclass(frozen=True)
class Marker:
    x: float
    visit: Visit


@dataclass
class PainChart:
    points: list[Point]
    markers: list[Marker]
    start: datetime
    end: datetime
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, int]] = field(default_factory=list)
    # Diary readings and visits together, newest first, for the table.
    rows: list[Reading | Visit] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = RIGHT
    top: int = TOP
    bottom: int = BOTTOM

    @property
    def line(self) -> str:
        """The SVG polyline through the readings, oldest first."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def is_empty(self) -> bool:
        return not self.points

    @property
    def description(self) -> str:
        """One sentence a screen reader hears instead of the picture."""
        if not self.points:
            return "No pain scores recorded yet."
        first, last = self.points[0].reading, self.points[-1].reading
        visits = len(self.markers)
        visit_text = f" and {visits} visit{'s' if visits != 1 else ''}" if visits else ""
        return (
            f"{len(self.points)} pain score{'s' if len(self.points) != 1 else ''}{visit_text} "
            f"between {first.at:%d %B} and {last.at:%d %B}: from {first.pain} to {last.pain} "
            "out of 10. The table below lists each one."
        )


def _y(pain: int) -> float:
    return BOTTOM - (BOTTOM - TOP) * pain / 10


def build_chart(
    readings: list[Reading], visits: list[Visit], *, end: datetime, tz: ZoneInfo
) -> PainChart:
    """Place readings and visits on the chart's axes (the span covers all of them)."""
    readings = sorted(readings, key=lambda r: r.at)
    visits = sorted(visits, key=lambda v: v.at)
    moments = [r.at for r in readings] + [v.at for v in visits]
    start = min(moments, default=end - MIN_SPAN)
    end = max([end, *moments])
    if end - start < MIN_SPAN:
        start = end - MIN_SPAN
    span = (end - start).total_seconds()

    def x(at: datetime) -> float:
        return LEFT + (RIGHT - LEFT) * (at - start).total_seconds() / span

    ticks = []
    for i in range(5):
        moment = start + (end - start) * i / 4
        local = moment.astimezone(tz)
        ticks.append((x(moment), f"{local.day} {local:%b}"))
    rows: list[Reading | Visit] = sorted([*readings, *visits], key=lambda row: row.at, reverse=True)
    return PainChart(
        points=[Point(x(r.at), _y(r.pain), r) for r in readings],
        markers=[Marker(x(v.at), v) for v in visits],
        start=start,
        end=end,
        x_ticks=ticks,
        y_ticks=[(_y(n), n) for n in range(0, 11, 2)],
        rows=rows,
    )


def pain_chart(patient: User, *, days: int = 90, now: datetime | None = None) -> PainChart:
    """The patient's pain over the last ``days`` days, with their visits marked (two queries)."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    # The newest 500 (``build_chart`` puts them in order): a busy diary must lose its oldest
    # scores, never the latest ones a practitioner reads before treating.
    entries = DiaryEntry.objects.filter(patient=patient, recorded_at__gte=since).order_by(
        "-recorded_at"
    )[:500]
    readings = [
        Reading(e.recorded_at, e.pain, e.source, tuple(e.tags or ()), e.note) for e in entries
    ]
    bookings = (
        Booking.objects.filter(
            patient=patient,
            status__in=KEPT_STATUSES,
            starts_at__gte=since,
            starts_at__lte=now,
        )
        .select_related("service", "practitioner")
        .order_by("starts_at")
    )
    visits = [
        Visit(b.starts_at, f"{b.service.name} with {b.practitioner.display_name}") for b in bookings
    ]
    tz = patient.clinic.tz if patient.clinic is not None else ZoneInfo(settings.TIME_ZONE)
    return build_chart(readings, visits, end=now, tz=tz)
