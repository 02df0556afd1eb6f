"""How fast open times, the week page and booking are on a busy clinic, and that races never
overbook. Run with `make bench`; the table prints at the end and bench-results.json is written.

Targets (checked strictly in the table, asserted with ``report.SLACK`` for noise):
four weeks of open times within 5x the baseline request as pages read them (cached) and 8x
computed, the week page within 3x, and no overbooking when 20 people race for the last
place; ``booking_create`` is reported against 5x, not asserted.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connections
from django.db.models import Q
from django.utils import timezone

from booking.availability import Slot, find_open_slots
from booking.availability_cache import cached_open_slots
from booking.cache_version import VERSION_KEY, current_version
from booking.errors import SlotUnavailable
from booking.models import ACTIVE_STATUSES, Booking, Service, ServiceKind
from booking.services import BookingRequest, booking_create
from portal.models import User
from tests.benchmarks import report
from tests.benchmarks.browser import Browser
from tests.benchmarks.report import SLACK, Result, median_ms, paired_median_ms, record
from tests.benchmarks.seed import World, count_overbookings, remove_bookings

# Four weeks of open times: pages read them through the cache, held to 5x; computed with
# nothing cached (after a change of hours or shifts) the budget is 8x.
AVAILABILITY_TARGET = 5.0
COMPUTED_TARGET = 8.0
WEEK_PAGE_TARGET = 3.0
# Reported against its budget, not asserted: not met on this design (docs/architecture.md,
# section 4, says where the time goes).
BOOKING_CREATE_TARGET = 5.0
RACERS = 20
RACE_ROUNDS = 5
SPANS = {"1 day": 1, "1 week": 7, "4 weeks": 28}
SERVICES = {"private (any practitioner)": "follow-up", "multibed": "community-clinic"}


def _service(world: World, slug: str) -> Service:
    return world.services[slug]


def _returning_with_history(
    world: World, now: datetime, *, free_at: list[tuple[datetime, datetime]]
) -> list[int]:
    """Patients with a past treatment kept (no new-patient limit on what they book) and no
    visit overlapping any of ``free_at`` (one patient cannot be in two places at once)."""
    overlapping = Q()
    for starts_at, ends_at in free_at:
        overlapping |= Q(starts_at__lt=ends_at, ends_at__gt=starts_at)
    busy = Booking.objects.filter(overlapping, status__in=ACTIVE_STATUSES).values("patient_id")
    ids = (
        Booking.objects.filter(
            patient_id__in=world.returning,
            kind__in=(ServiceKind.PRIVATE, ServiceKind.MULTIBED),
            status__in=ACTIVE_STATUSES,
            starts_at__lt=now,
        )
        .exclude(patient_id__in=busy)
        .order_by("patient_id")
        .values_list("patient_id", flat=True)
        .distinct()
    )
    return list(ids)


def _spread(slots: list[Slot], *, apart: timedelta, count: int) -> list[Slot]:
    """Open slots far enough apart that booking one cannot close another."""
    picked: list[Slot] = []
    for slot in slots:
        if all(abs(slot.starts_at - p.starts_at) >= apart for p in picked):
            picked.append(slot)
            if len(picked) == count:
                break
    return picked


def test_baseline_request(world: World, baseline_ms: float) -> None:
    counts = world.counts
    # Every ratio divides by this: a busy seed and a real, finite timing are preconditions.
    assert 0 < baseline_ms < 1000, baseline_ms
    assert counts["total"] >= 4000, counts
    seeded = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()) if kind != "total")
    record(
        Result(
            "baseline: signed-in view, 1 pk query (HTTP)",
            baseline_ms,
            "ms",
            baseline=baseline_ms,
            note=f"seed: {counts['total']} bookings {world.first_day}..{world.last_day} ({seeded})",
        )
    )


@pytest.mark.parametrize("label", list(SERVICES))
@pytest.mark.parametrize("span", list(SPANS))
@pytest.mark.parametrize("how", ["computed", "after a booking", "cached"])
def test_open_times(
    world: World, live_db: None, baseline_ms: float, label: str, span: str, how: str
) -> None:
    """``computed``: nothing cached (after a change of hours or shifts); ``after a booking``:
    a page's first read after someone books (the diary is cached, the bookings are read);
    ``cached``: every read after that."""
    service = _service(world, SERVICES[label])
    first = world.busy_monday
    last = first + timedelta(days=SPANS[span] - 1)
    now = timezone.now()

    def run(_: object = None) -> list[Slot]:
        if how == "after a booking":
            # What a committed booking does; the bump's round trip is timed too.
            cache.incr(VERSION_KEY)
        if how == "computed":
            return find_open_slots(service, first, last, now=now)
        return cached_open_slots(service, first, last, now=now)

    current_version()  # so the first bump finds a number to increment
    slots = run()
    assert slots == find_open_slots(service, first, last, now=now)
    median, _ = median_ms(run)
    four_weeks = span == "4 weeks"
    target = AVAILABILITY_TARGET if how == "cached" else COMPUTED_TARGET
    result = record(
        Result(
            f"open times {span} ({how}): {label}",
            median,
            "ms",
            baseline=baseline_ms,
            target_ratio=target if four_weeks else None,
            note=f"{len(slots)} open times from {first}" if four_weeks else "",
        )
    )
    if four_weeks:
        report.profile(f"open times 4 weeks ({how}) {label}", run)
    if four_weeks:
        assert result.ratio is not None
        assert result.ratio <= target * SLACK, (
            f"4 weeks of open times ({how}) took {median:.1f} ms, {result.ratio:.1f}x the "
            f"baseline (target {target}x)"
        )


@pytest.mark.parametrize("label", list(SERVICES))
def test_week_page(
    world: World,
    live_db: None,
    patient_browser: Browser,
    baseline_request: Callable[[], object],
    baseline_ms: float,
    label: str,
) -> None:
    slug = SERVICES[label]
    url = f"/book/{slug}/times/?with=any&week={world.busy_monday.isoformat()}"
    response = patient_browser.get(url)
    assert response.status_code == 200
    shown = response.content.decode().count('class="slot"')
    assert shown > 0, "the busy week shows no open time: the page measured would be trivial"
    median, alongside = paired_median_ms(lambda: patient_browser.get(url), baseline_request)
    result = record(
        Result(
            f"week page (HTTP): {label}",
            median,
            "ms",
            baseline=alongside,  # timed turn about with the page
            target_ratio=WEEK_PAGE_TARGET,
            note=f"{shown} open times, week of {world.busy_monday}; baseline timed turn about "
            f"({median / baseline_ms:.2f}x the start-of-run baseline)",
        )
    )
    report.profile(f"week page {label}", lambda: patient_browser.get(url))
    assert result.ratio is not None
    assert result.ratio <= WEEK_PAGE_TARGET * SLACK, (
        f"the week page took {median:.1f} ms, {result.ratio:.1f}x the baseline "
        f"(target {WEEK_PAGE_TARGET}x)"
    )


@pytest.mark.parametrize("label", list(SERVICES))
def test_booking_create(
    world: World,
    live_db: None,
    baseline_request: Callable[[], object],
    baseline_ms: float,
    label: str,
) -> None:
    """Each run books a different free slot, committed (and its email queued) as in production,
    timed turn about with the baseline request."""
    service = Service.objects.select_related("clinic").get(pk=_service(world, SERVICES[label]).pk)
    now = timezone.now()
    first = world.busy_monday + timedelta(weeks=1)
    runs = report.WARMUP + 15
    free = find_open_slots(service, first, first + timedelta(weeks=4), now=now)
    slots = _spread(free, apart=timedelta(minutes=90), count=runs)
    free_at = [(slot.starts_at, slot.ends_at) for slot in slots]
    patients = list(
        User.objects.filter(pk__in=_returning_with_history(world, now, free_at=free_at))[:runs]
    )
    assert len(slots) == runs, f"only {len(slots)} well-spread free slots to book"
    assert len(patients) == runs
    made: list[int] = []

    def book() -> None:
        i = len(made)
        asked = BookingRequest(patient=patients[i], service=service, starts_at=slots[i].starts_at)
        made.append(booking_create(asked).pk)

    try:
        median, alongside = paired_median_ms(book, baseline_request, repeat=15)
    finally:
        remove_bookings(made)
    assert len(made) == runs
    record(
        Result(
            f"booking_create: {label}",
            median,
            "ms",
            baseline=alongside,
            target_ratio=BOOKING_CREATE_TARGET,
            note="free slot, committed, confirmation email queued; baseline timed turn about "
            f"({median / baseline_ms:.2f}x the start-of-run baseline)",
        )
    )


def _race(service_id: int, starts_at: datetime, patient_ids: list[int]) -> list[str]:
    """Every patient tries to book the same time at once, each on their own connection."""
    barrier = threading.Barrier(len(patient_ids))
    outcomes = ["" for _ in patient_ids]

    def attempt(i: int) -> None:
        try:
            service = Service.objects.select_related("clinic").get(pk=service_id)
            patient = User.objects.get(pk=patient_ids[i])
            barrier.wait(timeout=60)
            booking_create(BookingRequest(patient=patient, service=service, starts_at=starts_at))
            outcomes[i] = "won"
        except SlotUnavailable:
            outcomes[i] = "lost"
        except Exception as exc:
            outcomes[i] = f"error: {exc!r}"
        finally:
            connections.close_all()  # this thread's connections only

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(patient_ids))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def _last_places(world: World, service: Service, now: datetime) -> list[Slot]:
    """Times with exactly one place left, one per day: the last recliner, the last private slot."""
    first = world.busy_monday + timedelta(weeks=1)
    slots = find_open_slots(service, first, first + timedelta(weeks=3), now=now)
    if service.is_multibed:
        starting = set(
            Booking.objects.filter(
                room=world.room, status__in=ACTIVE_STATUSES, starts_at__gte=now
            ).values_list("starts_at", flat=True)
        )
        # One left because five recliners are in use (not because of the per-start limit).
        last = [s for s in slots if s.places_left == 1 and s.starts_at not in starting]
    else:
        per_time = Counter(s.starts_at for s in slots)
        last = [s for s in slots if per_time[s.starts_at] == 1]  # one practitioner still free
    days: set[date] = set()
    picked = []
    for slot in last:
        day = slot.starts_at.astimezone(world.clinic.tz).date()
        if day not in days:
            days.add(day)
            picked.append(slot)
    return picked[:RACE_ROUNDS]


@pytest.mark.django_db(transaction=True)
def test_race_for_the_last_place(world: World) -> None:
    """Both races in one test: the teardown of a transactional test empties every table."""
    now = timezone.now()
    races = {
        "multibed last recliner": world.multibed,
        "private (any) last slot": world.private,
    }
    failures = []
    for label, service in races.items():
        targets = _last_places(world, service, now)
        assert len(targets) == RACE_ROUNDS, f"only {len(targets)} last places to race for"
        free_at = [(target.starts_at, target.ends_at) for target in targets]
        racers = _returning_with_history(world, now, free_at=free_at)[-RACERS:]
        assert len(racers) == RACERS
        winners, errors = [], []
        for target in targets:
            outcomes = _race(service.pk, target.starts_at, racers)
            winners.append(outcomes.count("won"))
            errors += [o for o in outcomes if o not in ("won", "lost")]
        overbookings = count_overbookings()
        note = f"{RACERS} threads x {RACE_ROUNDS} rounds; winners per round {winners}"
        record(
            Result(f"race {label}: overbookings", overbookings, "count", target_value=0, note=note)
        )
        record(Result(f"race {label}: fewest winners/round", min(winners), "count", target_value=1))
        record(Result(f"race {label}: most winners/round", max(winners), "count", target_value=1))
        if errors or overbookings or winners != [1] * RACE_ROUNDS:
            failures.append(f"{label}: {overbookings} overbooked, winners {winners}, {errors[:3]}")
    assert not failures, failures
