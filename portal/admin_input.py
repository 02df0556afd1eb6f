"""Refuse admin list input the admin itself would fail on with a 500.

- A list action whose ticked rows are not ids of that list's model: the admin filters the
  list by the posted ``_selected_action`` values as they are (``queryset.filter(pk__in=...)``),
  so "abc", "1\\x00" or "²" fails in the lookup.
- A date drill-down (``date_hierarchy``) past the calendar: the admin catches a month 13 but
  not a year whose next year is past 9999 (``?starts_at__year=9999``) or a number too big for
  a C int, and fails computing the range.

No page the admin draws links to either, so the visitor gets the friendly "bad request" page
instead: ``portal.admin_site.ClinicAdminSite`` applies both checks to every model admin's
view. NUL bytes in the query string are ``portal.nul_bytes``'s; form fields are Django's.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

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
