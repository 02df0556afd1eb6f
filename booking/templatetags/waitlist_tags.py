"""The patient's waiting-list entries, drawn on My bookings without its view knowing of them."""

from __future__ import annotations

from typing import Any

from django import template

from booking.waitlist.wishes import wishes_text
from booking.waitlist_models import LIVE_OFFER_STATUSES, EntryStatus, WaitlistOffer
from portal.policy import waitlist_entries_for

register = template.Library()


@register.inclusion_tag("booking/_my_waitlist.html")
def my_waitlist(user: Any) -> dict[str, Any]:
    entries = list(
        waitlist_entries_for(user)
        .filter(status=EntryStatus.WAITING)
        .select_related("service", "practitioner")
        .order_by("joined_at")
    )
    live = {
        o.entry_id: o
        for o in WaitlistOffer.objects.filter(entry__in=entries, status__in=LIVE_OFFER_STATUSES)
    }
    return {
        "rows": [{"entry": e, "wishes": wishes_text(e), "offer": live.get(e.pk)} for e in entries]
    }
