"""The practitioner's calendar week on the busy clinic, over HTTP, against the baseline request.

Target: within 8x the baseline (a signed-in view doing one primary-key query), timed turn
about with the page so a noisy spell on the shared machine slows both alike. The page has
no cache: every request reads the calendar's rows and the badges (at most 12 queries,
checked here) and renders the grid template. The week is the seed's busy week for the
practitioner with the most visits in it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from booking.models import ACTIVE_STATUSES, Booking
from tests.benchmarks import report
from tests.benchmarks.browser import Browser
from tests.benchmarks.report import SLACK, Result, paired_median_ms, record
from tests.benchmarks.seed import World
from tests.conftest import client_for

CALENDAR_TARGET = 8.0
CALENDAR_QUERIES = 12  # the sign-in, the clinic and team, the calendar's rows, the badges


@pytest.fixture(scope="session")
def busiest(world: World, django_db_blocker: object) -> tuple[Browser, int]:
    """The practitioner with most visits in the busy week, signed in."""
    monday = world.busy_monday
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        counts = (
            Booking.objects.filter(
                clinic=world.clinic,
                status__in=ACTIVE_STATUSES,
                starts_at__date__gte=monday,
                starts_at__date__lt=monday + timedelta(days=7),
            )
            .values("practitioner")
            .annotate(n=Count("pk"))
            .order_by("-n")
        )
        top = counts[0]
        practitioner = next(p for p in world.practitioners if p.pk == top["practitioner"])
        browser = Browser(client_for(practitioner.user))
    return browser, top["n"]


@pytest.mark.parametrize("page", ["week", "day (everyone, as staff)"])
def test_practitioner_calendar(
    world: World,
    live_db: None,
    baseline_request: Callable[[], object],
    baseline_ms: float,
    busiest: tuple[Browser, int],
    page: str,
) -> None:
    client, visits = busiest
    monday = world.busy_monday
    if page == "week":
        url = f"/practice/calendar/?week={monday.isoformat()}"
    else:
        from portal.models import Role, User

        staff = User.objects.filter(role=Role.STAFF, clinic=world.clinic).first()
        if staff is None:
            staff = User.objects.create_user(
                "bench-desk@example.com", None, role=Role.STAFF, clinic=world.clinic
            )
        client = Browser(client_for(staff))
        url = f"/practice/calendar/day/?date={(monday + timedelta(days=1)).isoformat()}&p=all"
    client.get(url)  # a first request may write the session: count a settled one
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    queries = len(captured)  # now: the next request empties the connection's log
    assert response.status_code == 200
    assert queries <= CALENDAR_QUERIES, f"the calendar {page} read {queries} queries"
    shown = response.content.decode().count("data-booking=")
    assert shown > 10, "the busy calendar shows almost nothing: the page measured would be trivial"
    median, alongside = paired_median_ms(lambda: client.get(url), baseline_request)
    result = record(
        Result(
            f"practice calendar {page} (HTTP)",
            median,
            "ms",
            baseline=alongside,  # timed turn about with the page
            target_ratio=CALENDAR_TARGET,
            note=(
                f"{shown} visits drawn in {queries} queries; busiest practitioner has "
                f"{visits} in the week; "
                f"baseline timed turn about ({median / baseline_ms:.2f}x the start-of-run "
                "baseline)"
            ),
        )
    )
    report.profile(f"practice calendar {page}", lambda: client.get(url))
    assert result.ratio is not None
    assert result.ratio <= CALENDAR_TARGET * SLACK, (
        f"the calendar {page} took {median:.1f} ms, {result.ratio:.1f}x the baseline "
        f"(target {CALENDAR_TARGET}x)"
    )
