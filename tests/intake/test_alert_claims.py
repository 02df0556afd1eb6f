""" "I'll handle this" on the team's dashboard: who has an alert, first click wins, and on
PostgreSQL two desk members clicking at once leave exactly one holder."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from intake.models import Alert, AlertLevel
from intake.services import alert_acknowledge, alert_claim, alert_raise
from intake.triage import CALL_REQUESTED
from portal.models import Role, User
from tests.conftest import client_for
from tests.factories import UserFactory


def _call_me(patient: User, key: str = "1") -> Alert:
    alert, _ = alert_raise(
        patient=patient,
        level=AlertLevel.TODAY,
        kind=CALL_REQUESTED,
        source_key=f"checkin:{key}",
        summary="Asked for a call",
    )
    return alert


def test_first_claim_wins_and_the_second_sees_who_has_it(
    patient: User, front_desk: User, owner: User
) -> None:
    alert = _call_me(patient)

    mine, won = alert_claim(alert=alert, by=front_desk)
    theirs, also_won = alert_claim(alert=alert, by=owner)

    assert won and mine.claimed_by == front_desk and mine.claimed_at is not None
    assert not also_won and theirs.claimed_by == front_desk


def test_a_done_alert_cannot_be_claimed(patient: User, front_desk: User) -> None:
    alert = _call_me(patient)
    alert_acknowledge(alert=alert, by=front_desk)
    current, won = alert_claim(alert=alert, by=front_desk)
    assert not won and current.claimed_by is None


def test_dashboard_shows_the_call_me_request_with_its_claim_button(
    patient: User, front_desk: User
) -> None:
    alert = _call_me(patient)
    desk = client_for(front_desk)

    body = desk.get("/desk/").content.decode()
    assert "Call back today" in body and "Nobody has taken this yet" in body
    assert f"/practice/alerts/{alert.pk}/claim/" in body

    response = desk.post(f"/practice/alerts/{alert.pk}/claim/", {"next": "/desk/"}, follow=True)
    body = response.content.decode()
    assert "You are handling this" in body
    assert f"/practice/alerts/{alert.pk}/claim/" not in body


def test_a_colleague_who_clicks_later_is_told_who_has_it(
    patient: User, front_desk: User, clinic: object
) -> None:
    alert = _call_me(patient)
    colleague: User = UserFactory.create(role=Role.STAFF, first_name="Ffion", last_name="Rees")
    alert_claim(alert=alert, by=colleague)

    response = client_for(front_desk).post(
        f"/practice/alerts/{alert.pk}/claim/", {"next": "/desk/"}, follow=True
    )

    body = response.content.decode()
    assert "Ffion Rees is already handling" in body
    assert "Ffion Rees is handling this" in body
    alert.refresh_from_db()
    assert alert.claimed_by == colleague


def test_urgent_alerts_can_be_claimed_too(patient: User, front_desk: User) -> None:
    alert, _ = alert_raise(
        patient=patient, level=AlertLevel.URGENT, kind="k", source_key="u", summary="s"
    )
    client_for(front_desk).post(f"/practice/alerts/{alert.pk}/claim/", {"next": "/desk/"})
    alert.refresh_from_db()
    assert alert.claimed_by == front_desk


def test_a_patient_cannot_claim(patient: User) -> None:
    alert = _call_me(patient)
    assert client_for(patient).post(f"/practice/alerts/{alert.pk}/claim/").status_code == 403
    alert.refresh_from_db()
    assert alert.claimed_by is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")
def test_two_desk_members_clicking_at_once_leave_one_holder() -> None:
    from portal.models import Clinic

    Clinic.objects.current()
    patient: User = UserFactory.create()
    alert = _call_me(patient)
    desk: list[User] = [UserFactory.create(role=Role.STAFF) for _ in range(8)]
    barrier = threading.Barrier(len(desk), timeout=30)
    results: list[tuple[int, int, bool] | Exception] = [ValueError("not run")] * len(desk)

    def run(i: int, who: User) -> None:
        try:
            barrier.wait()
            current, won = alert_claim(alert=alert, by=who)
            assert current.claimed_by_id is not None
            results[i] = (who.pk, current.claimed_by_id, won)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(desk)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert all(isinstance(r, tuple) for r in results), results
    rows = [r for r in results if isinstance(r, tuple)]
    winners = [who for who, _, won in rows if won]
    assert len(winners) == 1
    # Everyone, winner or not, was told the same holder.
    assert {holder for _, holder, _ in rows} == {winners[0]}
    alert.refresh_from_db()
    assert alert.claimed_by_id == winners[0]
