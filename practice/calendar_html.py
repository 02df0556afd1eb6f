"""The calendar grid's HTML, built in Python: one structure for laptop and phone.

The grid draws a few hundred small pieces; a template with a ``{% url %}``, filters and an
include per visit cost several times more than the database. Here each piece is formatted
once, and the result is a list of ready HTML strings with a slot wherever a badge from
another app goes, so the strings can be cached (``practice.calendar_cache``) while the
badges are filled in fresh on every request. On phones the same columns are restyled as a
list per day by CSS; nothing is drawn twice.
"""

from __future__ import annotations

from functools import lru_cache

from django.urls import reverse
from django.utils import dateformat
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from booking.models import BookingStatus
from practice.calendar import Column, Entry, Grid
from practice.glance import Badge, Glance

RECORD_MISSING = format_html(
    '<span class="badge badge--sm badge--warning" data-badge="record">{}</span>',
    "Record to write",
)
RED_FLAG_MARK = mark_safe('<span aria-hidden="true">&#9873;</span> ')
# Where a page body template puts the grid (``around`` swaps in the grid's pieces).
GRID_MARK = mark_safe("<!-- calendar grid -->")


# Where a visit's live facts go: (booking id, "class" for a colour modifier or "badges").
# A plain tuple, like the plain strings around it: a cached page unpickles on every request.
Slot = tuple[int, str]
Markup = list[str | Slot]


@lru_cache(maxsize=512)
def _badge_html(badge: Badge) -> SafeString:
    # A handful of distinct badges recur on every visit of every page: format each once.
    return format_html(
        '<span class="badge badge--sm{}" data-badge="{}">{}{}</span>',
        f" badge--{badge.tone}" if badge.tone else "",
        badge.key,
        RED_FLAG_MARK if badge.key in ("red_flag", "on_hold") else "",
        badge.text,
    )


def badges_html(glance: Glance | None, *, compact: bool = False) -> SafeString:
    """The at-a-glance badges of one booking (``compact`` leaves out "Returning")."""
    if glance is None:
        return SafeString("")
    shown = [b for b in glance.badges if not (compact and b.key == "returning")]
    inner = "".join([_badge_html(b) for b in shown])
    return SafeString(f'<span class="glance">{inner}</span>')  # escaped above


def _hm(entry: Entry) -> str:
    return f"{entry.starts_at:%H:%M}\N{EN DASH}{entry.ends_at:%H:%M}"


def _place(entry: Entry) -> str:
    # CSS custom properties, set by static/js/portal.js (the CSP allows no style attribute).
    return f"row:{entry.row} span:{entry.span} lane:{entry.lane} lanes:{entry.lanes}"


def _visit(entry: Entry, out: Markup) -> None:
    booking = entry.booking
    assert booking is not None
    status = ""
    if booking.status != BookingStatus.CONFIRMED:
        status = f" · {booking.get_status_display()}"
    elif booking.arrived_at is not None:
        status = " · Arrived"
    out.append(format_html('<a class="cal-entry cal-entry--visit status--{}', entry.status_class))
    out.append((booking.pk, "class"))
    out.append(
        format_html(
            '{}" data-vars="{}" href="{}" data-booking="{}">'
            '<span class="cal-entry__name">{}</span>'
            '<span class="cal-entry__time">{} · {}{}</span>',
            " cal-entry--short" if entry.span <= 2 else "",
            _place(entry),
            reverse("practice:booking", args=[booking.pk]),
            booking.pk,
            entry.title,
            _hm(entry),
            entry.detail,
            status,
        )
    )
    out.append((booking.pk, "badges"))
    out.append(mark_safe("</a>"))


def _other(entry: Entry, column: Column, room_url: str) -> str:
    if entry.kind == "shift":
        assert entry.block is not None
        return format_html(
            '<a class="cal-entry cal-entry--shift" data-vars="{}" href="{}?date={}&amp;room={}">'
            '<span class="cal-entry__time">{}</span><span class="cal-entry__name">{}</span>'
            '<span class="cal-entry__what">{} · open the room</span></a>',
            _place(entry),
            room_url,
            column.day.isoformat(),
            entry.block.shift.room_id,
            _hm(entry),
            entry.title,
            entry.detail,
        )
    return format_html(
        '<div class="cal-entry cal-entry--off" data-vars="{}">'
        '<span class="cal-entry__time">{}</span>'
        '<span class="cal-entry__name">Time off</span>{}</div>',
        _place(entry),
        _hm(entry),
        format_html('<span class="cal-entry__what">{}</span>', entry.detail)
        if entry.detail
        else "",
    )


def grid_markup(grid: Grid, *, head: str, chosen: str) -> Markup:
    """The grid as HTML pieces: ``head`` is "day" (a column per date, headed by a link to
    that day) or "practitioner" (a column per person); ``chosen`` is kept in day links."""
    day_url, room_url = reverse("practice:day"), reverse("practice:room")
    keep = f"&p={chosen}" if chosen else ""
    out: Markup = [
        format_html(
            '<div class="cal" data-vars="rows:{} cols:{}" data-calendar>'
            '<div class="cal__scroll"><div class="cal__inner">'
            '<div class="cal__head" aria-hidden="true"><div class="cal__corner"></div>',
            grid.rows,
            len(grid.columns),
        )
    ]
    titles = []
    for column in grid.columns:
        today = " cal__colhead--today" if column.is_today else ""
        if head == "practitioner":
            n = len(column.visits)
            out.append(
                format_html(
                    '<div class="cal__colhead{}"><strong>{}</strong>'
                    '<span class="muted small">{} visit{}</span></div>',
                    today,
                    column.practitioner.display_name,
                    n,
                    "" if n == 1 else "s",
                )
            )
            titles.append(column.practitioner.display_name)
        else:
            out.append(
                format_html(
                    '<div class="cal__colhead{}"><a href="{}?date={}{}"><strong>{}</strong> {}</a>'
                    "</div>",
                    today,
                    day_url,
                    column.day.isoformat(),
                    keep,
                    dateformat.format(column.day, "D"),
                    dateformat.format(column.day, "j M"),
                )
            )
            titles.append(dateformat.format(column.day, "l j F"))
    out.append(
        format_html(
            '</div><div class="cal__body"><div class="cal__times" aria-hidden="true">{}</div>',
            format_html_join(
                "", '<span data-vars="row:{}">{}</span>', (mark for mark in grid.hour_marks)
            ),
        )
    )
    for i, (column, title) in enumerate(zip(grid.columns, titles, strict=True)):
        classes = "".join(
            (
                " cal__col--today" if column.is_today else "",
                " cal__col--closed" if column.closed_all_day else "",
            )
        )
        # The heading is for screen readers on a laptop (the head row is hidden from them)
        # and is the day's title in the phone list.
        out.append(
            format_html(
                '<section class="cal__col{}" aria-labelledby="cal-col-{}">'
                '<h2 class="cal__coltitle" id="cal-col-{}">{}{}</h2>{}{}',
                classes,
                i,
                i,
                title,
                mark_safe(' <span class="badge badge--sm badge--brand">Today</span>')
                if column.is_today
                else "",
                format_html_join(
                    "",
                    '<div class="cal__open" data-vars="row:{} span:{}"></div>',
                    column.open_bands,
                ),
                mark_safe('<p class="cal__closed-note">Closed</p>')
                if column.closed_all_day
                else "",
            )
        )
        for entry in column.entries:
            if entry.kind == "visit":
                _visit(entry, out)
            else:
                out.append(_other(entry, column, room_url))
        if not column.entries:
            out.append(mark_safe('<p class="cal__empty">Nothing booked.</p>'))
        out.append(mark_safe("</section>"))
    out.append(mark_safe("</div></div></div></div>"))
    return _merged(out)


def _merged(parts: Markup) -> Markup:
    """Adjacent strings joined, so a cached grid is a short list, and kept as plain ``str``
    (each was escaped when it was made; ``fill`` marks the whole safe)."""
    out: Markup = []
    for part in parts:
        if not isinstance(part, str):
            out.append(part)
        elif out and isinstance(out[-1], str):
            out[-1] += part
        else:
            out.append(str(part))
    return out


def around(body: str, grid: Markup) -> Markup:
    """A page body rendered with ``GRID_MARK`` where the grid goes, with the grid's pieces
    in its place (the body alone when it has no grid, e.g. no practitioners yet)."""
    before, mark, after = body.partition(GRID_MARK)
    return _merged([before, *grid, after] if mark else [body])


def fill(markup: Markup, *, glance: dict[int, Glance]) -> SafeString:
    """The grid's HTML with each visit's live badges and colour put in its slots."""
    out: list[str] = []
    for part in markup:
        if isinstance(part, str):
            out.append(part)
            continue
        booking_id, slot = part
        facts = glance.get(booking_id)
        if slot == "class":
            if facts is not None and facts.red_flag:
                out.append(" cal-entry--red")
            elif facts is not None and facts.treat_gently:
                out.append(" cal-entry--gentle")
            continue
        out.append(badges_html(facts, compact=True))
        if facts is not None and facts.record_missing:
            out.append(RECORD_MISSING)
    # Every piece was escaped when it was made, by format_html or the template engine.
    return mark_safe("".join(out))  # noqa: S308
