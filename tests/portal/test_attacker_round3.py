"""Round 3 of the attacker tests: the front desk (role staff) reaches no health data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from intake.diary_entries import diary_add
from portal import export
from portal.models import DataExport, User
from tests.booking.conftest import eager_celery  # noqa: F401 (a fixture)
from tests.conftest import client_for, reauthenticated
from tests.portal.test_export import unzip

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


@pytest.fixture
def capture(django_capture_on_commit_callbacks: Callable[..., Any]) -> Callable[[], Any]:
    """Run on-commit work (the queued task) as the request's commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_the_desk_cannot_take_the_record_of_a_patient_who_can_sign_in(
    patient: User, front_desk: User, capture: Callable[[], Any]
) -> None:
    """The "hand over" choice is for someone who cannot sign in (a closed account): the desk
    downloads the file to post it. A patient who can sign in gets the link, so the desk never
    holds their diary, answers or treatment records: a made-up phone request cannot hand them
    over."""
    diary_add(patient=patient, pain=7, note="MARKER-DIARY after the chemo", tags=[])
    desk = reauthenticated(front_desk)
    form = {"email": patient.email, "channel": "phone", "identity_checked": "on"}
    with capture():
        answer = desk.post(reverse("desk_export"), {**form, "delivery": "handover"})
    made = DataExport.objects.filter(patient=patient).first()
    if made is not None and answer.status_code == 302:
        got = desk.post(reverse("desk_export_handover", args=[made.pk]))
        if got.status_code == 200:
            data, _ = unzip(got.content)
            assert "MARKER-DIARY" not in str(data), "the desk downloaded the patient's diary"
    assert answer.status_code == 200 and b"can sign in" in answer.content
    assert not DataExport.objects.exists()
    with pytest.raises(export.ExportRefused):
        export.request_export(
            patient=patient, requested_by=front_desk, channel="phone", handover=True
        )


@pytest.mark.parametrize("who", ["front_desk", "owner"])
def test_the_admin_outbox_shows_no_message_that_reveals_health(
    request: pytest.FixtureRequest, patient: User, who: str
) -> None:
    """A day-5 re-check goes only to a patient who felt worse after a treatment: listing those
    rows (the kind filter, a search) told the desk and the owner, who read no health data,
    who that was. Such kinds are out of the admin; the rest of the outbox is still there."""
    from django.utils import timezone

    from followup.models import MessageKind, OutboxMessage
    from portal.messaging import HEALTH_KINDS

    now = timezone.now()
    hidden = [
        OutboxMessage.objects.create(
            kind=kind, recipient=patient, extra=f"k-{kind}", due_at=now, subject=f"S-{kind}"
        )
        for kind in HEALTH_KINDS
    ]
    shown = OutboxMessage.objects.create(
        kind=MessageKind.DATA_EXPORT, recipient=patient, extra="export:1", due_at=now
    )
    client = client_for(request.getfixturevalue(who))
    changelist = reverse("admin:followup_outboxmessage_changelist")
    page = client.get(changelist).content.decode()
    assert f"/followup/outboxmessage/{shown.pk}/" in page
    for row in hidden:
        assert f"/followup/outboxmessage/{row.pk}/" not in page
        listed = client.get(changelist, {"kind": row.kind}).content.decode()
        assert f"/followup/outboxmessage/{row.pk}/" not in listed
        assert patient.email not in listed
        searched = client.get(changelist, {"q": f"S-{row.kind}"}).content.decode()
        assert f"/followup/outboxmessage/{row.pk}/" not in searched
        detail = client.get(reverse("admin:followup_outboxmessage_change", args=[row.pk]))
        assert detail.status_code in (302, 404)
        assert patient.email not in detail.content.decode()
