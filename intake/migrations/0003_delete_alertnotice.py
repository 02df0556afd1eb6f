# Urgent alerts are emailed through the follow-up outbox now (followup.alerts), which keeps the
# "sent once per practitioner" record; followup 0002 carries the notices over before this runs.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0002_responses_diary_notices"),
    ]

    operations = [
        migrations.DeleteModel(
            name="AlertNotice",
        ),
    ]
