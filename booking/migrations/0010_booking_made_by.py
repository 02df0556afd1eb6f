import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def fill_made_by(apps, schema_editor):
    # Who made each visit: the booker of the first row of its chain of moves.
    booking = apps.get_model("booking", "Booking")
    rows = {
        pk: (booked_by, moved_from)
        for pk, booked_by, moved_from in booking.objects.values_list(
            "pk", "booked_by_id", "rescheduled_from_id"
        )
    }
    by_maker: dict[int | None, list[int]] = {}
    for pk in rows:
        seen = {pk}
        booked_by, moved_from = rows[pk]
        while moved_from is not None and moved_from in rows and moved_from not in seen:
            seen.add(moved_from)
            booked_by, moved_from = rows[moved_from]
        by_maker.setdefault(booked_by, []).append(pk)
    for maker, pks in by_maker.items():
        if maker is None:
            continue
        for start in range(0, len(pks), 1000):
            booking.objects.filter(pk__in=pks[start : start + 1000]).update(made_by_id=maker)


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0009_service_visit_and_buffers_bounded"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="booking",
            name="made_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(fill_made_by, migrations.RunPython.noop),
    ]
