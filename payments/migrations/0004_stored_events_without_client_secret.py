"""Stored Stripe events lose the PaymentIntent's client secret (``payments.webhooks``: the
events admin showed it; it is for the paying patient's page alone)."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def _without_secrets(value: Any) -> Any:
    # A copy of ``payments.webhooks._without_secrets``: a migration keeps its own code.
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items() if k != "client_secret"}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def forwards(apps: Any, schema_editor: Any) -> None:
    StripeEvent = apps.get_model("payments", "StripeEvent")
    for event in StripeEvent.objects.filter(payload__data__object__has_key="client_secret"):
        StripeEvent.objects.filter(pk=event.pk).update(payload=_without_secrets(event.payload))


class Migration(migrations.Migration):
    dependencies = [("payments", "0003_told_at_replaced_by_outbox")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
