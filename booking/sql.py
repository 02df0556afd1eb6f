"""Database pieces the availability reads need that Django does not provide."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import BigIntegerField, Func, QuerySet


class EpochSeconds(Func):
    """A timestamp column as whole seconds since 1970 (UTC).

    Busy weeks read thousands of stay times; the database driver takes several
    microseconds to parse each timestamp, an integer next to nothing.
    """

    template = "CAST(FLOOR(EXTRACT(EPOCH FROM %(expressions)s)) AS BIGINT)"
    output_field = BigIntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # %%%% survives both the template's formatting and the driver's %s-to-? rewrite.
        return self.as_sql(
            compiler, connection, template="CAST(strftime('%%%%s', %(expressions)s) AS INTEGER)"
        )


def plain_rows(queryset: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of a ``values_list`` query of ids, counts and ``EpochSeconds``, without
    Django's per-value converters (none of these columns needs one): a busy month has
    thousands of rows."""
    try:
        sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    except EmptyResultSet:  # e.g. ``room_id__in=[]``: iterating the queryset gives no rows
        return []
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
