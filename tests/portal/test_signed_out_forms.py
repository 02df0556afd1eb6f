"""A form sent after the session ended: told it was not saved, and back to the page it came from.

Django's login_required sent the browser, after signing in, to the form's own address; most take
POST only, so signing in ended on an empty 405 page and what was typed was silently gone.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from portal.access import SIGNED_OUT_FORM_LOST
from portal.models import User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _messages(client: Client) -> list[str]:
    page = client.get(LOGIN)
    return [str(m) for m in page.context["messages"]]


@pytest.mark.parametrize(
    ("form_page", "post_to"),
    [
        ("/practice/availability/", "/practice/availability/time-off/"),
        ("/me/diary/", "/me/diary/"),
        ("/bookings/12/", "/bookings/12/cancel/"),
    ],
)
def test_a_form_sent_signed_out_returns_to_its_page(
    clinic: Any, form_page: str, post_to: str
) -> None:
    client = Client()
    response = client.post(post_to, {"note": "typed"}, HTTP_REFERER=f"http://testserver{form_page}")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={form_page}"
    assert _messages(client) == [SIGNED_OUT_FORM_LOST]


def test_the_page_keeps_its_query_string(clinic: Any) -> None:
    response = Client().post(
        "/practice/availability/time-off/",
        HTTP_REFERER="http://testserver/practice/availability/?p=3",
    )
    assert response["Location"] == f"{LOGIN}?next=/practice/availability/%3Fp%3D3"


@pytest.mark.parametrize("referer", ["", "https://elsewhere.example/me/diary/", "javascript:x"])
def test_without_a_page_of_ours_it_returns_to_the_dashboard(clinic: Any, referer: str) -> None:
    response = Client().post("/me/diary/", HTTP_REFERER=referer)
    assert response["Location"] == f"{LOGIN}?next=/dashboard/"


def test_a_page_opened_signed_out_still_comes_back_to_itself(clinic: Any) -> None:
    client = Client()
    response = client.get("/me/diary/?x=1")
    assert response["Location"] == f"{LOGIN}?next=/me/diary/%3Fx%3D1"
    assert _messages(client) == []


def test_a_team_member_signed_out_when_idle_returns_to_the_form(practitioner: User) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = client_for(practitioner)
        assert client.get("/practice/").status_code == 200
        # Past the idle limit, before the stored session itself expires a minute later.
        traveller.shift(timedelta(minutes=30, seconds=30))
        response = client.post(
            "/practice/availability/time-off/",
            HTTP_REFERER="http://testserver/practice/availability/",
        )
    assert response["Location"] == f"{LOGIN}?next=/practice/availability/"
    assert SIGNED_OUT_FORM_LOST in _messages(client)


# --- "Stay signed in" on the team's idle warning ---------------------------------------------


def test_staying_signed_in_is_activity(practitioner: User) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = client_for(practitioner)
        page = client.get("/practice/")
        assert 'id="idle-warning"' in page.content.decode()
        assert 'data-idle-minutes="30"' in page.content.decode()
        traveller.shift(timedelta(minutes=28))
        assert client.get("/session/still-here/").status_code == 204
        traveller.shift(timedelta(minutes=28))  # 56 minutes in, 28 since "stay"
        assert client.get("/practice/").status_code == 200


def test_staying_after_the_limit_is_too_late(practitioner: User) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = client_for(practitioner)
        assert client.get("/practice/").status_code == 200
        traveller.shift(timedelta(minutes=30, seconds=30))
        response = client.get("/session/still-here/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_patients_have_no_idle_warning(patient: User) -> None:
    page = client_for(patient).get("/me/")
    assert page.status_code == 200
    assert "idle-warning" not in page.content.decode()


# --- an address that only takes a form, opened as a page ------------------------------------


def test_a_form_address_opened_as_a_page_explains_itself(practitioner: User) -> None:
    response = client_for(practitioner).get("/practice/availability/time-off/")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    page = response.content.decode()
    assert "This address only saves a form" in page
    assert 'href="/dashboard/"' in page
