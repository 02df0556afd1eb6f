"""Rotating the field-encryption key: find every stored token the newest key did not write,
and re-encrypt it with that key.

``FIELD_ENCRYPTION_KEYS`` lists keys newest first; every key decrypts. After a new key is
put first, ``rotate()`` rewrites the old tokens so the old key can be dropped. Tokens are
re-encrypted as tokens (``MultiFernet.rotate``): the plain text never leaves this module,
rows are written with ``update()`` so no ``auto_now`` stamp, signal or history row moves,
and a rerun finds nothing left to do.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.db.models.functions import Cast

from portal.crypto import EncryptedJSONField, EncryptedTextField, fernet

# Tokens held outside the encrypted field classes: (app label, model, field).
_BINARY_TOKENS = (("portal", "DataExport", "archive"),)


@dataclass(frozen=True)
class Column:
    """One column that holds Fernet tokens."""

    model: type[models.Model]
    field: str
    binary: bool = False

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field}"


def token_columns() -> Iterator[Column]:
    """Every column of every installed model (history tables included) that holds tokens."""
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField | EncryptedJSONField):
                yield Column(model, field.name)
    for app_label, model_name, field_name in _BINARY_TOKENS:
        yield Column(apps.get_model(app_label, model_name), field_name, binary=True)


def _raw_tokens(column: Column) -> Iterator[tuple[object, bytes]]:
    # Cast to a plain column type so the field's from_db_value (decryption) is skipped.
    output = models.BinaryField() if column.binary else models.TextField()
    rows = (
        column.model._default_manager.exclude(**{f"{column.field}__isnull": True})
        .annotate(raw_token=Cast(column.field, output_field=output))
        .values_list("pk", "raw_token")
    )
    for pk, raw in rows.iterator(chunk_size=500):
        if raw in ("", b""):
            continue
        yield pk, bytes(raw) if column.binary else str(raw).encode("ascii")


def _newest_key() -> Fernet:
    return Fernet(settings.FIELD_ENCRYPTION_KEYS[0])


def _is_current(token: bytes, newest: Fernet) -> bool:
    try:
        newest.decrypt(token)
    except InvalidToken:
        return False
    return True


def stale_counts() -> dict[str, int]:
    """How many tokens per column the newest key did not write (columns with none are left out)."""
    newest = _newest_key()
    counts: dict[str, int] = {}
    for column in token_columns():
        stale = sum(1 for _, token in _raw_tokens(column) if not _is_current(token, newest))
        if stale:
            counts[column.label] = stale
    return counts


def rotate() -> dict[str, int]:
    """Re-encrypt every stale token with the newest key; returns tokens rewritten per column."""
    newest = _newest_key()
    ring = fernet()
    rewritten: dict[str, int] = {}
    for column in token_columns():
        stale = [(pk, token) for pk, token in _raw_tokens(column) if not _is_current(token, newest)]
        if not stale:
            continue
        output = models.BinaryField() if column.binary else models.TextField()
        with transaction.atomic():
            for pk, token in stale:
                fresh = ring.rotate(token)
                value = fresh if column.binary else fresh.decode("ascii")
                # A Value with a plain output field is written as is: the encrypted field's
                # get_prep_value would encrypt the token a second time.
                column.model._default_manager.filter(pk=pk).update(
                    **{column.field: models.Value(value, output_field=output)}
                )
        rewritten[column.label] = len(stale)
    return rewritten
