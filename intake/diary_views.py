"""The patient's pain diary pages: add a score (a warning sign in its note leads to what to
do now), correct or delete one of their own (the team keeps every version)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from intake import diary_entries, services
from intake.access import no_store
from intake.charts import pain_chart
from intake.diary_triage import diary_add_read, diary_edit_read, diary_entry_outcome
from intake.forms import DiaryForm
from intake.models import DiaryEntry, DiarySource
from intake.triage import Outcome
from portal.access import patient_required, signed_in_user
from portal.models import Clinic
from portal.opening_hours import callback_day


@no_store
@patient_required
@require_http_methods(["GET", "POST"])
def diary(request: HttpRequest) -> HttpResponse:
    """Add a pain score and see the chart of pain over time with visits marked."""
    patient = signed_in_user(request)
    form = DiaryForm(
        request.POST or None,
        patient=patient,
        initial={"recorded_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            entry, outcome = diary_add_read(
                patient=patient,
                pain=form.cleaned_data["pain"],
                note=form.cleaned_data["note"],
                tags=form.cleaned_data["tags"],
                recorded_at=form.cleaned_data["recorded_at"],
            )
        except services.IntakeError as exc:
            form.add_error(None, exc.message)
        else:
            return _after_diary_note(request, entry, outcome, "Added to your pain diary.")
    return render(
        request,
        "intake/diary.html",
        {
            "form": form,
            "chart": pain_chart(patient),
            "entry_count": DiaryEntry.objects.filter(patient=patient).count(),
            "entries": DiaryEntry.objects.filter(
                patient=patient, source=DiarySource.DIARY
            ).order_by("-recorded_at")[:20],
        },
    )


def _after_diary_note(
    request: HttpRequest, entry: DiaryEntry, outcome: Outcome, done: str
) -> HttpResponse:
    """Back to the diary, or, when the note carries a warning sign, to what to do now."""
    if outcome.level is not None:
        return redirect("intake:diary_advice", pk=entry.pk)
    messages.success(request, done)
    return redirect("intake:diary")


@no_store
@patient_required
@require_safe
def diary_advice(request: HttpRequest, pk: int) -> HttpResponse:
    """What to do now about a warning sign in one of the patient's own diary notes."""
    entry = _own_entry(request, pk)
    outcome = diary_entry_outcome(entry)
    if outcome.level is None:
        return redirect("intake:diary")
    return render(
        request,
        "intake/diary_advice.html",
        {
            "entry": entry,
            "outcome": outcome,
            "level": outcome.level.value,
            "callback_day": callback_day(Clinic.objects.current(), timezone.now()),
        },
    )


def _own_entry(request: HttpRequest, pk: int) -> DiaryEntry:
    """The signed-in patient's own diary score (not a check-in's), or 404."""
    return get_object_or_404(
        DiaryEntry, pk=pk, patient=signed_in_user(request), source=DiarySource.DIARY
    )


@no_store
@patient_required
@require_http_methods(["GET", "POST"])
def diary_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct one of the patient's diary scores; the team keeps the version before."""
    patient = signed_in_user(request)
    entry = _own_entry(request, pk)
    form = DiaryForm(
        request.POST or None,
        patient=patient,
        initial={
            "pain": entry.pain,
            "note": entry.note,
            "tags": entry.tags,
            "recorded_at": timezone.localtime(entry.recorded_at).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            entry, outcome = diary_edit_read(
                patient=patient,
                entry_id=entry.pk,
                pain=form.cleaned_data["pain"],
                note=form.cleaned_data["note"],
                tags=form.cleaned_data["tags"],
                recorded_at=form.cleaned_data["recorded_at"] or entry.recorded_at,
            )
        except services.IntakeError as exc:
            form.add_error(None, exc.message)
        else:
            return _after_diary_note(request, entry, outcome, "Your diary entry is updated.")
    return render(
        request,
        "intake/diary_edit.html",
        {"form": form, "entry": entry},
    )


@no_store
@patient_required
@require_http_methods(["GET", "POST"])
def diary_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, then delete one of the patient's diary scores (the team keeps a copy)."""
    entry = _own_entry(request, pk)
    if request.method == "POST":
        if diary_entries.diary_delete(patient=signed_in_user(request), entry_id=entry.pk):
            messages.success(request, "The entry is deleted from your diary.")
        return redirect("intake:diary")
    return render(request, "intake/diary_delete.html", {"entry": entry})
