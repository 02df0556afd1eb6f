"""The waiting list's refusals, each with a message fit to show the person."""

from __future__ import annotations


class WaitlistError(Exception):
    """A waiting-list request that cannot be met, with a message fit to show the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PlaceGone(WaitlistError):
    """Someone else confirmed first, or the hold ran out: the entry stays on the list."""

    def __init__(self) -> None:
        super().__init__(
            "Sorry, this place has gone: someone else confirmed it first or the time to "
            "confirm ran out. You are still on the waiting list and we will email you when "
            "another place frees."
        )
