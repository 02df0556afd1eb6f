"""Checks other apps run before a patient books: the extension point that keeps arrows one way.

``booking`` must not import the apps that decide who may book what (intake's
questionnaire and red flags). Those apps register a gate here from their
``AppConfig.ready()``; the booking pages ask every gate before showing times and
before confirming. A patient booking for themselves is stopped by a gate; clinic
staff booking for a caller see the same message as a warning and may go on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from booking.models import Service
from portal.models import User


@dataclass(frozen=True)
class Gate:
    """Why a patient cannot book this service online yet, and what they can do about it."""

    title: str
    message: str
    action_url: str = ""
    action_label: str = ""
    # What clinic staff booking for this patient are told instead.
    staff_message: str = ""
    # Urgent gates (e.g. a red flag) are shown in the urgent style.
    urgent: bool = False


GateCheck = Callable[[User, Service, str], Gate | None]
_GATES: list[GateCheck] = []


def register_gate(check: GateCheck) -> GateCheck:
    """Add ``check(patient, service, return_url)``; registering the same check twice is a no-op."""
    if check not in _GATES:
        _GATES.append(check)
    return check


def gates_for(patient: User, service: Service, *, return_url: str = "") -> list[Gate]:
    """Every gate that stops ``patient`` booking ``service`` online, in registration order."""
    return [gate for check in _GATES if (gate := check(patient, service, return_url)) is not None]
