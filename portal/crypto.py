"""Health data encrypted at rest: model fields that store Fernet tokens.

``FIELD_ENCRYPTION_KEYS`` lists Fernet keys; the first encrypts and every key
decrypts, so a key is rotated by putting a new one first and re-saving rows
(``reencrypt`` below) before the old one is dropped.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


@functools.lru_cache(maxsize=4)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: health data cannot be stored.")
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    """The key ring from settings (cached per key list, so tests can rotate keys)."""
    return _fernet_for(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_text(value: str) -> str:
    return fernet().encrypt(value.encode()).decode("ascii")


def decrypt_text(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode()
    except InvalidToken as exc:
        # A wrong or missing key must never look like empty health data.
        raise ImproperlyConfigured(
            "Stored health data cannot be decrypted with FIELD_ENCRYPTION_KEYS: "
            "was a key removed before the data was re-encrypted?"
        ) from exc


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token; reads give back the plain string."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None:
            return None
        return decrypt_text(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return encrypt_text(str(value))


class EncryptedJSONField(models.TextField):
    """A JSON document (answers, reactions) stored as one Fernet token."""

    # For django-stubs: the attribute holds decoded JSON, not the text column's str.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return json.loads(decrypt_text(value))

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        return encrypt_text(json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True))

    def value_to_string(self, obj: models.Model) -> str:
        return json.dumps(self.value_from_object(obj), cls=DjangoJSONEncoder)


def reencrypt(queryset: models.QuerySet[Any], fields: list[str]) -> int:
    """Re-save the given encrypted fields with the newest key; returns rows rewritten."""
    count = 0
    for obj in queryset.iterator():
        obj.save(update_fields=fields)
        count += 1
    return count


def encrypt_column_in_place(schema_editor: Any, table: str, column: str) -> None:
    """Migration helper: turn a column's plain text into Fernet tokens, row by row.

    Used right after a field of a migration's own app becomes an encrypted field; the rows
    are read raw because the new field would try to decrypt the old plain text.
    """
    _rewrite_column(schema_editor, table, column, encrypt_text)


def decrypt_column_in_place(schema_editor: Any, table: str, column: str) -> None:
    """The reverse of ``encrypt_column_in_place`` (a migration rolled back)."""
    _rewrite_column(schema_editor, table, column, decrypt_text)


def _rewrite_column(schema_editor: Any, table: str, column: str, change: Any) -> None:
    connection = schema_editor.connection
    t, c = connection.ops.quote_name(table), connection.ops.quote_name(column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {c} FROM {t} WHERE {c} IS NOT NULL")  # noqa: S608
        rows = cursor.fetchall()
        for pk, value in rows:
            text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
            cursor.execute(
                f"UPDATE {t} SET {c} = %s WHERE id = %s",  # noqa: S608
                [change(text), pk],
            )
