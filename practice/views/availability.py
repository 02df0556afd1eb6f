"""A practitioner's availability: weekly hours, dated exceptions and time off, edited by
the practitioner or, for any practitioner of the clinic, by staff (``?p=<id>``).

Each form posts to its own URL; a refused form re-renders the page with what was typed
and the reason, so nothing is lost. Time off over booked visits is a two-step flow: the
visits are shown first, then cancelled (each patient emailed) or kept.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from booking.models import Booking, DateException, ExceptionKind, Practitioner, TimeOff
from portal.access import signed_in_user, team_required
from portal.forms import id_list
from portal.models import Role
from practice import schedule, services
from practice.access import ask_password_before_refund, practitioner_to_manage
from practice.forms import ExceptionForm, TimeOffDecisionForm, TimeOffForm, WeeklyHoursForm


def _home(request: HttpRequest, practitioner: Practitioner, anchor: str = "") -> str:
    """The availability page of the practitioner being edited (staff name them in ``p``)."""
    url = reverse("practice:availability")
    if signed_in_user(request).role == Role.STAFF:
        url += f"?p={practitioner.pk}"
    return url + anchor


def _staff_context(request: HttpRequest, practitioner: Practitioner) -> dict[str, Any]:
    """For staff: the practitioner every form posts for, and the team to switch between."""
    if signed_in_user(request).role != Role.STAFF:
        return {"whose": None, "team": []}
    return {
        "whose": practitioner.pk,
        "chosen": str(practitioner.pk),  # the workspace links keep to this practitioner
        "team": Practitioner.objects.filter(clinic_id=practitioner.clinic_id),
    }


def _today(practitioner: Practitioner) -> Any:
    return timezone.now().astimezone(practitioner.clinic.tz).date()


def _time_off_form(practitioner: Practitioner, data: Any = None, **kwargs: Any) -> TimeOffForm:
    return TimeOffForm(data, tz=practitioner.clinic.tz, now=timezone.now(), **kwargs)


def _removed(
    request: HttpRequest, practitioner: Practitioner, removed: bool, *, done: str, already: str
) -> HttpResponse:
    """Back to the page after a remove button: ``done``, or ``already`` for a second click."""
    if removed:
        messages.success(request, done)
    else:
        messages.info(request, already)
    return redirect(_home(request, practitioner))


def _page(
    request: HttpRequest,
    practitioner: Practitioner,
    *,
    hours_form: Form | None = None,
    exception_form: Form | None = None,
    time_off_form: Form | None = None,
) -> HttpResponse:
    today = _today(practitioner)
    now = timezone.now()
    start = request.GET.get("date") or ""
    invalid = any(f is not None and f.errors for f in (hours_form, exception_form, time_off_form))
    return render(
        request,
        "practice/availability.html",
        {
            "practitioner": practitioner,
            "hours": practitioner.hours.order_by("weekday", "start_time"),
            "exceptions": DateException.objects.filter(
                practitioner=practitioner, date__gte=today
            ).order_by("date", "start_time"),
            "time_off": TimeOff.objects.filter(practitioner=practitioner, ends_at__gte=now),
            "hours_form": hours_form or WeeklyHoursForm(),
            "exception_form": exception_form or ExceptionForm(today=today),
            "time_off_form": time_off_form
            or _time_off_form(
                practitioner, initial={"start_date": start, "end_date": start} if start else None
            ),
            "tz": practitioner.clinic.tz,
            "home": _home(request, practitioner),
            **_staff_context(request, practitioner),
        },
        status=400 if invalid else 200,
    )


@team_required
@never_cache
@require_safe
def availability(request: HttpRequest) -> HttpResponse:
    return _page(request, practitioner_to_manage(request))


@team_required
@require_POST
def hours_add(request: HttpRequest) -> HttpResponse:
    practitioner = practitioner_to_manage(request)
    form = WeeklyHoursForm(request.POST)
    if form.is_valid():
        try:
            schedule.weekly_hours_add(practitioner=practitioner, **form.cleaned_data)
        except services.PracticeError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, "Weekly hours added. New bookings can use them straight away."
            )
            return redirect(_home(request, practitioner))
    return _page(request, practitioner, hours_form=form)


@team_required
@require_POST
def hours_remove(request: HttpRequest, pk: int) -> HttpResponse:
    practitioner = practitioner_to_manage(request)
    return _removed(
        request,
        practitioner,
        schedule.weekly_hours_remove(practitioner=practitioner, hours_id=pk),
        done="Hours removed. Visits already booked in them stay booked.",
        already="Those hours were already removed.",
    )


@team_required
@require_POST
def exception_add(request: HttpRequest) -> HttpResponse:
    practitioner = practitioner_to_manage(request)
    form = ExceptionForm(request.POST, today=_today(practitioner))
    if form.is_valid():
        data = form.cleaned_data
        try:
            schedule.exception_add(
                practitioner=practitioner,
                day=data["day"],
                kind=ExceptionKind(data["kind"]),
                start_time=data.get("start_time"),
                end_time=data.get("end_time"),
                note=data.get("note", ""),
                today=_today(practitioner),
            )
        except services.PracticeError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Saved.")
            return redirect(_home(request, practitioner))
    return _page(request, practitioner, exception_form=form)


@team_required
@require_POST
def exception_remove(request: HttpRequest, pk: int) -> HttpResponse:
    practitioner = practitioner_to_manage(request)
    return _removed(
        request,
        practitioner,
        schedule.exception_remove(practitioner=practitioner, exception_id=pk),
        done="Removed.",
        already="That was already removed.",
    )


def _confirm_page(
    request: HttpRequest,
    practitioner: Practitioner,
    form: TimeOffForm,
    affected: list[Booking],
    *,
    status: int = 200,
) -> HttpResponse:
    data = form.cleaned_data
    hidden = {k: form.data.get(k, "") for k in ("start_date", "start_time", "end_date", "end_time")}
    hidden["reason"] = data.get("reason", "")
    hidden["expected"] = id_list(affected)
    return render(
        request,
        "practice/time_off_confirm.html",
        {
            "practitioner": practitioner,
            "affected": affected,
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "hidden": hidden,
            "note": form.data.get("note", ""),
            "tz": practitioner.clinic.tz,
            "home": _home(request, practitioner),
            **_staff_context(request, practitioner),
        },
        status=status,
    )


@team_required
@require_POST
def time_off_add(request: HttpRequest) -> HttpResponse:
    """Step one: check the time off and show the visits it falls on (or add it if none)."""
    practitioner = practitioner_to_manage(request)
    form = _time_off_form(practitioner, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        # The form's clock: time off that starts now starts at exactly this moment.
        now = form.now
        try:
            affected = schedule.time_off_affected(
                practitioner=practitioner,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                now=now,
            )
            if affected:
                return _confirm_page(request, practitioner, form, affected)
            schedule.time_off_add(
                practitioner=practitioner,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                reason=data["reason"],
                by=signed_in_user(request),
                expected_booking_ids=[],
                cancel_affected=False,
                now=now,
            )
        except services.AffectedBookingsChanged:
            affected = schedule.time_off_affected(
                practitioner=practitioner,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                now=now,
            )
            return _confirm_page(request, practitioner, form, affected)
        except services.PracticeError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _time_off_added(form, "No visits were booked in it."))
            return redirect(_home(request, practitioner))
    return _page(request, practitioner, time_off_form=form)


@team_required
@require_POST
def time_off_confirm(request: HttpRequest) -> HttpResponse:
    """Step two: add the time off and cancel the visits shown, or keep them."""
    practitioner = practitioner_to_manage(request)
    form = TimeOffDecisionForm(request.POST, tz=practitioner.clinic.tz, now=timezone.now())
    if not form.is_valid():
        return _page(request, practitioner, time_off_form=form)
    data = form.cleaned_data
    cancel = data["decision"] == "cancel"
    if cancel:
        ask_password_before_refund(
            request, Booking.objects.filter(pk__in=data["expected"], practitioner=practitioner)
        )
    try:
        _, cancelled = schedule.time_off_add(
            practitioner=practitioner,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            reason=data["reason"],
            by=signed_in_user(request),
            expected_booking_ids=data["expected"],
            cancel_affected=cancel,
            note=data["note"].strip(),
            now=form.now,
        )
    except services.AffectedBookingsChanged as exc:
        messages.error(request, exc.message)
        affected = schedule.time_off_affected(
            practitioner=practitioner,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            now=timezone.now(),
        )
        return _confirm_page(request, practitioner, form, affected, status=409)
    except services.PracticeError as exc:
        form.add_error(None, exc.message)
        return _page(request, practitioner, time_off_form=form)
    if cancel:
        n = len(cancelled)
        messages.success(
            request,
            _time_off_added(
                form,
                f"{n} visit{'s' if n != 1 else ''} cancelled; each patient has been emailed.",
            ),
        )
    else:
        messages.success(request, _time_off_added(form, "The visits in it are kept."))
    week = data["starts_at"].date().isoformat()
    whose = f"&p={practitioner.pk}" if signed_in_user(request).role == Role.STAFF else ""
    return redirect(f"{reverse('practice:week')}?week={week}{whose}")


def _time_off_added(form: TimeOffForm, outcome: str) -> str:
    """The success message, saying when time off asked for from a time already gone starts."""
    if form.cleaned_data.get("starts_now"):
        start = form.cleaned_data["starts_at"].astimezone(form.tz)
        return f"Time off added from now ({start:%H:%M}). {outcome}"
    return f"Time off added. {outcome}"


@team_required
@require_POST
def time_off_remove(request: HttpRequest, pk: int) -> HttpResponse:
    practitioner = practitioner_to_manage(request)
    return _removed(
        request,
        practitioner,
        schedule.time_off_remove(practitioner=practitioner, time_off_id=pk),
        done="Time off removed. Those times can be booked again.",
        already="That time off was already removed.",
    )
