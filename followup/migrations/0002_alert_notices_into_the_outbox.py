"""Carry intake's per-recipient alert emails (AlertNotice) into the outbox before that table goes.

Urgent alerts are now emailed through the outbox, and the planner emails any open urgent alert
that has no outbox row: without these rows every alert emailed the old way in the last week
would be emailed again. A notice already sent becomes a sent row; one still waiting (its send
failed and the retry had not run) becomes a pending row, so the outbox sends it.
"""

from django.db import migrations
from django.utils import timezone


def notices_to_outbox(apps, schema_editor):
    AlertNotice = apps.get_model("intake", "AlertNotice")
    OutboxMessage = apps.get_model("followup", "OutboxMessage")
    now = timezone.now()
    rows = [
        OutboxMessage(
            kind="alert_urgent",
            recipient_id=notice.recipient_id,
            extra=str(notice.alert_id),
            status="sent" if notice.sent_at else "pending",
            due_at=notice.sent_at or now,
            sent_at=notice.sent_at,
        )
        for notice in AlertNotice.objects.all().iterator()
    ]
    # The outbox's unique key skips any notice the outbox already holds.
    OutboxMessage.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("followup", "0001_outbox_and_checkins"),
        ("intake", "0002_responses_diary_notices"),
    ]
    # Before intake drops the table (intake must not depend on followup, so the order is set here).
    run_before = [("intake", "0003_delete_alertnotice")]

    operations = [migrations.RunPython(notices_to_outbox, migrations.RunPython.noop)]
