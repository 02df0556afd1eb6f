"""Each calendar feed names the account it was made for: existing feeds were made for the
account that holds their profile now, so they keep working."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_made_for(apps, schema_editor):
    CalendarFeed = apps.get_model("practice", "CalendarFeed")
    Practitioner = apps.get_model("booking", "Practitioner")
    holder = Practitioner.objects.filter(pk=OuterRef("practitioner_id")).values("user_id")[:1]
    CalendarFeed.objects.update(made_for_id=Subquery(holder))


class Migration(migrations.Migration):
    dependencies = [
        ("practice", "0003_retention_cases_privacy_requests"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="calendarfeed",
            name="made_for",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(fill_made_for, migrations.RunPython.noop),
    ]
