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

from booking.forms import EARLIEST, LATEST, parse_week
from booking.models import Practitioner, Room
from portal.access import team_required
from portal.models import Clinic, Role, User
from practice.access import own_practitioner, team_user
from practice.calendar_cache import cached_grid, clinic_and_team, draw
from practice.roomlane import load_room_lane


def parse_day(value: str | None, today: date) -> date:
    """A date from the query string (today for missing or malformed input)."""
    try:
        day = date.fromisoformat(value) if value else today
    except ValueError:
        return today
    return day if EARLIEST <= day <= LATEST else today


def _clinic(user: User) -> Clinic:
    return user.clinic or Clinic.objects.current()


def _chosen(
    request: HttpRequest, user: User, team: list[Practitioner], *, allow_all: bool
) -> tuple[list[Practitioner], str]:
    """Whose calendar to show: a practitioner always their own; staff pick (or everyone)."""
    if user.role == Role.PRACTITIONER:
        mine = [p for p in team if p.user_id == user.pk]
        return mine, str(mine[0].pk) if mine else ""
    wanted = request.GET.get("p") or ("all" if allow_all else "")
    if wanted == "all" and allow_all:
        return team, "all"
    picked = [p for p in team if str(p.pk) == wanted]
    if not picked and team:
        picked = team[:1]
    return picked, str(picked[0].pk) if picked else ""


def _calendar(
    request: HttpRequest,
    *,
    first_day: Callable[[date], date],
    days: int,
    by: str,
    allow_all: bool,
    view: str,
) -> tuple[dict[str, Any], date]:
    """The context the week and day pages share: ``days`` days from ``first_day(today)`` for
    the chosen practitioners, laid out ``by`` day or practitioner; and that first day."""
    user = team_user(request)
    clinic, team = clinic_and_team(user)
    now = timezone.now()
    today = now.astimezone(clinic.tz).date()
    first = first_day(today)
    shown, chosen = _chosen(request, user, team, allow_all=allow_all)
    grid = cached_grid(
        clinic,
        first,
        first + timedelta(days=days - 1),
        practitioners=shown,
        now=now,
        by=by,
        chosen=chosen,
    )
    context = {
        "calendar": draw(grid, now=now),
        "clinic": clinic,  # already read: spares the context processor its query
        "prev": first - timedelta(days=days),
        "next": first + timedelta(days=days),
        "today": today,
        "team": team,
        "chosen": chosen,
        "shown": shown,
        "tz": clinic.tz,
        "view": view,
    }
    return context, first


@team_required
@never_cache
@require_safe
def week(request: HttpRequest) -> HttpResponse:
    """Seven days, Monday to Sunday: one column per day for one practitioner."""
    context, monday = _calendar(
        request,
        first_day=lambda today: parse_week(request.GET.get("week"), today),
        days=7,
        by="day",
        allow_all=False,
        view="week",
    )
    return render(
        request,
        "practice/week.html",
        {**context, "monday": monday, "sunday": monday + timedelta(days=6)},
    )


@team_required
@never_cache
@require_safe
def day(request: HttpRequest) -> HttpResponse:
    """One day: a practitioner's own, or every practitioner side by side for staff."""
    context, shown_day = _calendar(
        request,
        first_day=lambda today: parse_day(request.GET.get("date"), today),
        days=1,
        by="practitioner",
        allow_all=True,
        view="day",
    )
    return render(request, "practice/day.html", {**context, "day": shown_day})


@team_required
@never_cache
@require_safe
def room_lane(request: HttpRequest) -> HttpResponse:
    """The multibed room over a day's shift: recliners busy each quarter hour, who is next."""
    user = team_user(request)
    clinic = _clinic(user)
    now = timezone.now()
    today = now.astimezone(clinic.tz).date()
    shown_day = parse_day(request.GET.get("date"), today)
    rooms = list(Room.objects.filter(clinic=clinic).select_related("clinic").order_by("name"))
    wanted = request.GET.get("room")
    room = next((r for r in rooms if str(r.pk) == wanted), rooms[0] if rooms else None)
    lane = load_room_lane(room, shown_day, now=now) if room is not None else None
    mine = own_practitioner(user)
    return render(
        request,
        "practice/room.html",
        {
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
