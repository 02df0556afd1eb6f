"""Finding a patient from the workspace by name, phone or date of birth.

Who may be found is ``portal.policy.findable_patients``; what is shown is who they are (name,
date of birth, phone) and their next visit, never health data, so a search is not a health
read and writes no ``HealthAccess`` row. Names and the account's phone are plain columns,
searched in SQL; the date of birth and the questionnaire's phone are inside the encrypted
answers, so those two searches decrypt the latest questionnaire of each findable patient in
Python (``intake.services.contact_facts``): one clinic's patients, measured at about 0.3 s for
2,000 (``tests/practice/test_patient_search.py``), simpler than a keyed blind index.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Concat

from booking.models import Booking, BookingStatus
from intake.services import ContactFacts, contact_facts
from portal import policy
from portal.models import User
from portal.params import typed_date

LIMIT = 25
_PHONE_PUNCTUATION = re.compile(r"[\s()+\-.]")


@dataclass(frozen=True)
class Query:
    """What was typed, read as one kind of search."""

    kind: str  # "name", "phone" or "born"
    text: str = ""
    digits: str = ""
    born_on: date | None = None


@dataclass(frozen=True)
class Found:
    patient: User
    born_on: date | None
    phone: str
    next_visit: Booking | None


def read_query(text: str) -> Query:
    """A date of birth, a phone number (6+ digits once spaces and signs are gone) or a name."""
    text = " ".join(text.split())
    born = typed_date(text)
    if born is not None:
        return Query("born", text=text, born_on=born)
    bare = _PHONE_PUNCTUATION.sub("", text)
    if bare.isascii() and bare.isdigit() and len(bare) >= 6:
        return Query("phone", text=text, digits=phone_digits(text))
    return Query("name", text=text)


def phone_digits(phone: str) -> str:
    """A UK number's digits as dialled at home: "+44 7700 900201" and "07700 900201" match."""
    digits = "".join(ch for ch in phone if ch.isascii() and ch.isdigit())
    if digits.startswith("44") and phone.strip().startswith("+"):
        digits = "0" + digits[2:]
    elif digits.startswith("0044"):
        digits = "0" + digits[4:]
    return digits


def search(viewer: User, query: Query, *, now: datetime) -> list[Found]:
    """The patients ``viewer`` may find who match, by surname then first name (at most 25)."""
    findable = policy.findable_patients(viewer, now=now)
    patients: list[User]
    if query.kind == "name":
        named = findable.annotate(full_name=Concat("first_name", Value(" "), "last_name")).filter(
            Q(full_name__icontains=query.text)
            | Q(last_name__icontains=query.text)
            | Q(email__icontains=query.text)
        )
        patients = list(named.order_by("last_name", "first_name", "pk")[:LIMIT])
        facts = contact_facts(User.objects.filter(pk__in=[p.pk for p in patients]))
    else:
        facts = contact_facts(findable)
        matching = {pid for pid, fact in facts.items() if _matches(query, fact)}
        if query.kind == "born":
            # A caller the desk added has a date of birth on the account, not in answers.
            matching |= set(
                findable.filter(date_of_birth=query.born_on).values_list("pk", flat=True)
            )
        if query.kind == "phone":
            matching |= {
                pk
                for pk, phone in findable.exclude(phone="").values_list("pk", "phone")
                if query.digits in phone_digits(phone)
            }
        patients = list(
            findable.filter(pk__in=matching).order_by("last_name", "first_name", "pk")[:LIMIT]
        )
    upcoming = _next_visits(viewer, patients, now=now)
    return [
        Found(
            patient=p,
            born_on=p.date_of_birth or (facts[p.pk].born_on if p.pk in facts else None),
            phone=p.phone or (facts[p.pk].phone if p.pk in facts else ""),
            next_visit=upcoming.get(p.pk),
        )
        for p in patients
    ]


def _matches(query: Query, fact: ContactFacts) -> bool:
    if query.kind == "born":
        return fact.born_on == query.born_on
    return bool(fact.phone) and query.digits in phone_digits(fact.phone)


def _next_visits(viewer: User, patients: Sequence[User], *, now: datetime) -> dict[int, Booking]:
    """Each patient's next visit that ``viewer`` may open (a practitioner's own, any for the
    desk), in one query."""
    visits: QuerySet[Booking] = (
        policy.bookings_for(viewer)
        .filter(
            patient__in=patients,
            status__in=(BookingStatus.CONFIRMED, BookingStatus.HELD),
            starts_at__gte=now,
        )
        .select_related("service", "practitioner")
        .order_by("starts_at")
    )
    first: dict[int, Booking] = {}
    for visit in visits:
        first.setdefault(visit.patient_id, visit)
    return first
