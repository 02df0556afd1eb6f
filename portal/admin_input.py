"""Refuse admin list input the admin itself would fail on with a 500.

- A list action whose ticked rows are not ids of that list's model: the admin filters the
  list by the posted ``_selected_action`` values as they are (``queryset.filter(pk__in=...)``),
  so "abc", "1\\x00" or "²" fails in the lookup.
- A date drill-down (``date_hierarchy``) past the calendar: the admin catches a month 13 but
  not a year whose next year is past 9999 (``?starts_at__year=9999``) or a number too big for
  a C int, and fails computing the range.

And one the admin would answer: a list filtered by a field its own filters do not offer
(``offered_lookup``). Django's ``ModelAdmin.lookup_allowed`` lets anyone who may see a list
filter it by any of the model's own fields and by the existence or ids of any related row, a
reverse relation included, whether or not the page shows them: the desk read a payment's
Stripe client secret one character at a time (``?client_secret__startswith=pi_..._secret_a``,
a field the payments admin hides) and listed the patients with a flag, an alert, a check-in or
a treatment record (``?flags__isnull=False`` on People), health facts it may not read
(tests/portal/test_attacker_round9.py). A lookup must now start with a field the list's own
filters or date drill-down name (what its links produce), and pass Django's rule too.

No page the admin draws links to either, so the visitor gets the friendly "bad request" page
instead: ``portal.admin_site.ClinicAdminSite`` applies both checks to every model admin's
view. NUL bytes in the query string are ``portal.nul_bytes``'s; form fields are Django's.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import SimpleListFilter
from django.core.exceptions import ValidationError
from django.db.models.constants import LOOKUP_SEP

from portal.params import has_nul

# The last year a drill-down may name: the admin computes the range up to the next year.
LAST_DRILL_YEAR = 9998


def valid_selection(model_admin: Any, values: list[str]) -> bool:
    """Whether every ticked value reads as a primary key of the admin's model."""
    pk = model_admin.model._meta.pk
    for value in values:
        if has_nul(value):
            return False
        try:
            pk.get_prep_value(pk.to_python(value))
        except (ValidationError, ValueError, TypeError):
            return False
    return True


def valid_drill_down(model_admin: Any, query: Any) -> bool:
    """Whether the date drill-down's year, month and day are small ASCII numbers, the year
    one the admin can compute the next of (month 13 or day 32 it refuses itself)."""
    field = model_admin.date_hierarchy
    if not field:
        return True
    for part in ("year", "month", "day"):
        for value in query.getlist(f"{field}__{part}"):
            if not (value.isascii() and value.isdigit() and len(value) <= 4):
                return False
            if part == "year" and int(value) > LAST_DRILL_YEAR:
                return False
    return True


def _offered_fields(model_admin: Any, request: Any) -> set[str]:
    """The first field of every lookup the list's own filters and drill-down produce."""
    offered = {model_admin.date_hierarchy} if model_admin.date_hierarchy else set()
    for item in model_admin.get_list_filter(request):
        if isinstance(item, type) and issubclass(item, SimpleListFilter):
            offered.add(str(item.parameter_name))
        else:
            # A field path, or (field path, filter class).
            path = item[0] if isinstance(item, list | tuple) else item
            offered.add(str(path).split(LOOKUP_SEP, 1)[0])
    return offered


def offered_lookup(model_admin: Any, lookup: str, value: Any, request: Any) -> bool:
    """Whether the list offers filtering by ``lookup``: it starts with a field its filters or
    drill-down name. (No raw-id popup here narrows a list by ``limit_choices_to``: the one raw
    id field, the practitioner's user, has none.)"""
    return lookup.split(LOOKUP_SEP, 1)[0] in _offered_fields(model_admin, request)
