from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from intake.charts import BOTTOM, LEFT, RIGHT, TOP, Reading, Visit, build_chart, pain_chart
from intake.models import DiarySource
from tests.intake.conftest import past_visit
from tests.intake.factories import DiaryEntryFactory

LONDON = ZoneInfo("Europe/London")
END = datetime(2027, 3, 31, 12, tzinfo=UTC)


def test_readings_and_visits_are_placed_on_the_axes() -> None:
    start = END - timedelta(days=20)
    chart = build_chart(
        [Reading(start, 10), Reading(END, 0, DiarySource.CHECKIN)],
        [Visit(start + timedelta(days=10), "Treatment with Mei")],
        end=END,
        tz=LONDON,
    )
    first, last = chart.points
    assert (first.x, first.y) == (LEFT, TOP)
    assert (last.x, last.y) == (RIGHT, BOTTOM) and last.is_checkin
    assert chart.markers[0].x == pytest.approx((LEFT + RIGHT) / 2)
    assert chart.line == f"{LEFT:.1f},{TOP:.1f} {RIGHT:.1f},{BOTTOM:.1f}"
    assert [n for _, n in chart.y_ticks] == [0, 2, 4, 6, 8, 10]
    assert chart.x_ticks[0][1] == "11 Mar" and chart.x_ticks[-1][1] == "31 Mar"
    assert [type(r).__name__ for r in chart.rows] == ["Reading", "Visit", "Reading"]
    assert "2 pain scores and 1 visit" in chart.description


def test_a_short_history_still_spans_two_weeks_and_empty_says_so() -> None:
    chart = build_chart([Reading(END, 5)], [], end=END, tz=LONDON)
    assert chart.end - chart.start == timedelta(days=14)
    empty = build_chart([], [], end=END, tz=LONDON)
    assert empty.is_empty and empty.description == "No pain scores recorded yet."


@pytest.mark.django_db
def test_pain_chart_reads_the_patients_diary_and_kept_visits_only(
    patient, other_patient, mei, django_assert_max_num_queries
) -> None:
    from django.utils import timezone

    now = timezone.now()
    for days in range(10):
        DiaryEntryFactory.create(
            patient=patient, pain=days % 11, recorded_at=now - timedelta(days=days)
        )
    DiaryEntryFactory.create(patient=other_patient, pain=9)
    DiaryEntryFactory.create(patient=patient, recorded_at=now - timedelta(days=200))  # too old
    past_visit(patient, mei)
    past_visit(patient, mei, status="cancelled")
    with django_assert_max_num_queries(3):
        chart = pain_chart(patient)
    assert len(chart.points) == 10 and len(chart.markers) == 1
