"""Why a booking, a cancellation or a move was refused: each carries the sentence the patient or
the desk is shown."""

from __future__ import annotations

from booking.availability import Slot


class BookingError(Exception):
    """A booking request that cannot be met, with a message fit to show the patient."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SlotUnavailable(BookingError):
    """The time was taken (or never open); ``alternatives`` are the nearest open times."""

    def __init__(self, message: str, alternatives: list[Slot] | None = None) -> None:
        super().__init__(message)
        self.alternatives = alternatives or []


class NotEligible(BookingError):
    pass


class ChangeNotAllowed(BookingError):
    pass


class PatientBusy(NotEligible):
    """The patient already holds a visit that overlaps the time asked for."""
