"""Forms of the practitioner workspace: what each page accepts, with friendly messages."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from booking.models import ExceptionKind, Weekday
from portal.forms import DATE_INPUT, TIME_INPUT, FriendlyForm, IdListField
from practice.models import Depth, Stimulation
from practice.patient_search import Query, read_query
from practice.services import TreatmentDetails


class TreatmentRecordForm(FriendlyForm):
    areas_and_points = forms.CharField(
        label="Areas treated and points",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text="For example: lower back, BL23, BL25, GB30 right.",
        error_messages={"required": "Please enter the areas you treated and the points used."},
    )
    needle_count = forms.IntegerField(
        label="Number of needles",
        min_value=0,
        max_value=200,
        error_messages={
            "required": "Enter how many needles you used (0 if none).",
            "invalid": "Enter a whole number of needles, such as 8.",
            "min_value": "Enter a number of needles from 0 to 200.",
            "max_value": "Enter a number of needles from 0 to 200.",
        },
    )
    # No choice is made for the practitioner: how strongly they needled decides whether a
    # "treat more gently" request is met, so a rushed record must not log a default.
    depth = forms.ChoiceField(
        label="Depth",
        choices=Depth.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how deep you needled."},
    )
    stimulation = forms.ChoiceField(
        label="Stimulation",
        choices=Stimulation.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how strongly you stimulated the needles."},
    )
    style = forms.CharField(
        label="Style", required=False, max_length=200, help_text="For example: TCM, Japanese."
    )
    other_techniques = forms.CharField(
        label="Other techniques",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Moxa, cupping, electro-acupuncture, heat lamp…",
    )
    reaction = forms.CharField(
        label="How the patient reacted during treatment",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    plan_next_time = forms.CharField(
        label="Plan for next time",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def details(self) -> TreatmentDetails:
        data = self.cleaned_data
        return TreatmentDetails(
            areas_and_points=data["areas_and_points"].strip(),
            needle_count=data["needle_count"],
            depth=data["depth"],
            stimulation=data["stimulation"],
            style=data["style"].strip(),
            other_techniques=data["other_techniques"].strip(),
            reaction=data["reaction"].strip(),
            plan_next_time=data["plan_next_time"].strip(),
        )


class WeeklyHoursForm(FriendlyForm):
    # The availability page shows three forms with same-named fields: keep their ids apart.
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "hours-%s")
        super().__init__(*args, **kwargs)

    weekday = forms.TypedChoiceField(
        label="Day",
        choices=Weekday.choices,
        coerce=int,
        error_messages={"required": "Please choose the day these hours are on."},
    )
    start_time = forms.TimeField(
        label="From",
        widget=TIME_INPUT,
        error_messages={"required": "Please enter when these hours start, for example 09:00."},
    )
    end_time = forms.TimeField(
        label="Until",
        widget=TIME_INPUT,
        error_messages={"required": "Please enter when these hours end, for example 17:30."},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", "The end must be after the start.")
        return data


class ExceptionForm(FriendlyForm):
    day = forms.DateField(
        label="Date",
        widget=DATE_INPUT,
        error_messages={"required": "Please enter the date that changes."},
    )
    kind = forms.ChoiceField(
        label="What changes",
        choices=ExceptionKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Please choose what changes on that date."},
    )
    start_time = forms.TimeField(label="From", required=False, widget=TIME_INPUT)
    end_time = forms.TimeField(label="Until", required=False, widget=TIME_INPUT)
    note = forms.CharField(label="Note", required=False, max_length=200)

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "date-%s")
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_day(self) -> date:
        day: date = self.cleaned_data["day"]
        if day < self.today:
            raise forms.ValidationError("That date has passed. Choose today or a later date.")
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == ExceptionKind.EXTRA:
            start, end = data.get("start_time"), data.get("end_time")
            if start is None:
                self.add_error("start_time", "Give the time the extra hours start.")
            if end is None:
                self.add_error("end_time", "Give the time the extra hours end.")
            if start and end and end <= start:
                self.add_error("end_time", "The end must be after the start.")
        return data


class TimeOffForm(FriendlyForm):
    """Time off as clinic wall-clock dates and times; ``starts_at``/``ends_at`` once valid."""

    start_date = forms.DateField(
        label="From (date)",
        widget=DATE_INPUT,
        help_text="Off from today? Choose today's date and it starts now.",
        error_messages={"required": "Please enter the date the time off starts."},
    )
    start_time = forms.TimeField(
        label="From (time)",
        widget=TIME_INPUT,
        initial=time(0, 0),
        error_messages={
            "required": "Please enter the time the time off starts (00:00 for the whole day)."
        },
    )
    end_date = forms.DateField(
        label="Until (date)",
        widget=DATE_INPUT,
        error_messages={"required": "Please enter the date the time off ends."},
    )
    end_time = forms.TimeField(
        label="Until (time)",
        widget=TIME_INPUT,
        initial=time(23, 59),
        error_messages={
            "required": "Please enter the time the time off ends (23:59 for the whole day)."
        },
    )
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=200,
        help_text="Only the clinic team sees this.",
    )

    def __init__(self, *args: Any, tz: ZoneInfo, now: datetime, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "off-%s")
        super().__init__(*args, **kwargs)
        self.tz, self.now = tz, now

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        parts = [data.get(k) for k in ("start_date", "start_time", "end_date", "end_time")]
        if any(p is None for p in parts):
            return data
        start = datetime.combine(data["start_date"], data["start_time"], tzinfo=self.tz)
        end = datetime.combine(data["end_date"], data["end_time"], tzinfo=self.tz)
        # Today from a time already gone (the form's 00:00, or the morning a practitioner
        # went home ill) means from now: refusing it sent someone off sick hunting for the time.
        data["starts_now"] = (
            start < self.now and data["start_date"] == self.now.astimezone(self.tz).date()
        )
        if data["starts_now"]:
            start = self.now
        if end <= start:
            self.add_error("end_date", "The time off must end after it starts.")
        elif start < self.now - timedelta(minutes=1):
            self.add_error("start_date", "Time off cannot start on a day that has passed.")
        data["starts_at"], data["ends_at"] = start, end
        return data


def cancellation_note(
    label: str, *, help_text: str = "Printed in the cancellation email, under the visit's details."
) -> forms.CharField:
    """The optional message a cancellation email prints (kept on the booking, 1000 characters)."""
    return forms.CharField(
        label=label,
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=help_text,
    )


class TimeOffDecisionForm(TimeOffForm):
    """The confirmation step: the same time off plus what to do with the visits in it."""

    decision = forms.ChoiceField(
        choices=[("cancel", "Cancel them"), ("keep", "Keep them")], widget=forms.HiddenInput
    )
    expected = IdListField()
    note = cancellation_note("Message to each patient")


class ClosureCancelForm(FriendlyForm):
    """Cancel every visit a closure's page showed, with one message to the patients."""

    visits = IdListField()
    note = cancellation_note("Message to each patient")


class CancelVisitForm(FriendlyForm):
    how = forms.ChoiceField(
        choices=[
            ("clinic", "The clinic cancels (no charge to the patient)"),
            ("late", "The patient cancelled late"),
        ],
        widget=forms.RadioSelect,
        initial="clinic",
        label="Who is cancelling?",
    )
    note = cancellation_note(
        "Message to the patient",
        help_text="Printed in the cancellation email (not sent for a late cancellation).",
    )


class PatientFindForm(FriendlyForm):
    """The workspace's patient search (GET): a name, a phone number or a date of birth."""

    q = forms.CharField(
        required=False,
        max_length=100,
        label="Name, phone or date of birth",
        help_text="For example: Leonard, 07700 900201 or 14/07/1986.",
        error_messages={
            "null_characters_not_allowed": "We could not search for that: it holds a character "
            "that is not part of a name, phone number or date. Please type it again.",
            "max_length": "We could not search for that: please type at most 100 characters.",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")  # the page's input is id="q"
        super().__init__(*args, **kwargs)

    def clean_q(self) -> str:
        text = " ".join(str(self.cleaned_data.get("q", "")).split())
        if len(text) == 1:
            raise forms.ValidationError("Type at least 2 letters of a name, or more digits.")
        return text

    def query(self) -> Query | None:
        """What to search for; None when nothing (readable) was typed."""
        if not self.is_valid() or not self.cleaned_data["q"]:
            return None
        return read_query(self.cleaned_data["q"])
