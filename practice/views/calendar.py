"""Calendar pages: a practitioner's week and day, the clinic's day side by side, the room lane."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from booking.closures import closure_on
from booking.models import Practitioner, Room
from portal.access import signed_in_user, team_required
from portal.models import Clinic, Role, User
from portal.params import int_param, parse_date, parse_id
from practice.access import own_practitioner
from practice.calendar import build_grid
from practice.calendar_data import load_calendar
from practice.glance import glance_for
from practice.roomlane import load_room_lane


def requested_day(value: str | None) -> date | None:
    """The date named in the query string; None when missing, malformed or out of range."""
    return parse_date(value)


def parse_day(value: str | None, today: date) -> date:
    """A date from the query string (today for missing or malformed input)."""
    return requested_day(value) or today


def _monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _clinic(user: User) -> Clinic:
    return user.clinic or Clinic.objects.current()


def _chosen(
    request: HttpRequest, user: User, team: list[Practitioner], *, allow_all: bool
) -> tuple[list[Practitioner], str]:
    """Who is shown, and the choice kept in links: a practitioner always their own; staff
    name one by ``p`` or, where allowed, "all", and get the first practitioner when they name
    nobody (or nobody of their clinic)."""
    if user.role == Role.PRACTITIONER:
        mine = [p for p in team if p.user_id == user.pk]
        return mine, str(mine[0].pk) if mine else ""
    wanted = request.GET.get("p") or ("all" if allow_all else "")
    if wanted == "all" and allow_all:
        return team, "all"
    pk = parse_id(wanted)
    picked = [p for p in team if p.pk == pk] or team[:1]
    return picked, str(picked[0].pk) if picked else ""


def _calendar(
    request: HttpRequest,
    *,
    param: str,
    first_day: Callable[[date], date],
    days: int,
    by: str,
    allow_all: bool,
) -> dict[str, Any]:
    """The context the week and day pages share: ``days`` days from ``first_day`` of the
    date in ``param`` (or of today) for the chosen practitioners, laid out ``by`` day or
    practitioner, each visit with its badges."""
    user = signed_in_user(request)
    now = timezone.now()
    clinic = _clinic(user)
    team = list(Practitioner.objects.filter(clinic=clinic))
    today = now.astimezone(clinic.tz).date()
    first = first_day(requested_day(request.GET.get(param)) or today)
    last = first + timedelta(days=days - 1)
    shown, chosen = _chosen(request, user, team, allow_all=allow_all)
    grid = None
    if shown:
        grid = build_grid(load_calendar(clinic, first, last, practitioners=shown, now=now), by=by)
        visits = [e for c in grid.columns for e in c.visits]
        glance = glance_for([e.booking for e in visits if e.booking], now=now, viewer=user)
        for entry in visits:
            assert entry.booking is not None
            entry.glance = glance.get(entry.booking.pk)
    return {
        "clinic": clinic,  # already read: spares the context processor its query
        "first": first,
        "last": last,
        "prev": first - timedelta(days=days),
        "next": first + timedelta(days=days),
        "team": team,
        "chosen": chosen,
        "shown": shown,
        "tz": clinic.tz,
        "grid": grid,
        "head": by,
    }


@team_required
@never_cache
@require_safe
def week(request: HttpRequest) -> HttpResponse:
    """Seven days, Monday to Sunday: one column per day for one practitioner."""
    context = _calendar(
        request, param="week", first_day=_monday_of, days=7, by="day", allow_all=False
    )
    return render(request, "practice/week.html", {**context, "view": "week"})


@team_required
@never_cache
@require_safe
def day(request: HttpRequest) -> HttpResponse:
    """One day: a practitioner's own, or every practitioner side by side for staff."""
    context = _calendar(
        request,
        param="date",
        first_day=lambda day: day,
        days=1,
        by="practitioner",
        allow_all=True,
    )
    return render(request, "practice/day.html", {**context, "view": "day"})


@team_required
@never_cache
@require_safe
def room_lane(request: HttpRequest) -> HttpResponse:
    """The multibed room over a day's shift: recliners busy each quarter hour, who is next."""
    user = signed_in_user(request)
    clinic = _clinic(user)
    now = timezone.now()
    today = now.astimezone(clinic.tz).date()
    shown_day = parse_day(request.GET.get("date"), today)
    rooms = list(Room.objects.filter(clinic=clinic).select_related("clinic").order_by("name"))
    wanted = int_param(request, "room")
    room = next((r for r in rooms if r.pk == wanted), rooms[0] if rooms else None)
    lane = load_room_lane(room, shown_day, now=now, viewer=user) if room is not None else None
    mine = own_practitioner(user)
    # The shifts still draw on a closed day (its stays were booked before): say it is closed.
    closure = closure_on(clinic, shown_day)
    return render(
        request,
        "practice/room.html",
        {
            "closure": closure,
            "lane": lane,
            "rooms": rooms,
            "room": room,
            "day": shown_day,
            "today": today,
            "prev": shown_day - timedelta(days=1),
            "next": shown_day + timedelta(days=1),
            "tz": clinic.tz,
            "now": now,
            "mine": mine,
            "view": "room",
        },
    )
