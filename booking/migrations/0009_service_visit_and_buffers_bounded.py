import django.core.validators
from django.db import migrations, models


def clamp_services(apps, schema_editor):
    # Before the constraint: a service set up longer than the bounds now allow is shortened to
    # them (its visits keep their own times).
    service = apps.get_model("booking", "Service")
    service.objects.filter(duration_minutes__gt=480).update(duration_minutes=480)
    service.objects.filter(buffer_before_minutes__gt=120).update(buffer_before_minutes=120)
    service.objects.filter(buffer_after_minutes__gt=120).update(buffer_after_minutes=120)


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0008_waitlist_entry_until"),
    ]

    operations = [
        migrations.AlterField(
            model_name="service",
            name="buffer_after_minutes",
            field=models.PositiveIntegerField(
                default=0, validators=[django.core.validators.MaxValueValidator(120)]
            ),
        ),
        migrations.AlterField(
            model_name="service",
            name="buffer_before_minutes",
            field=models.PositiveIntegerField(
                default=0, validators=[django.core.validators.MaxValueValidator(120)]
            ),
        ),
        migrations.RunPython(clamp_services, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="service",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("duration_minutes__lte", 480),
                    ("buffer_before_minutes__lte", 120),
                    ("buffer_after_minutes__lte", 120),
                ),
                name="service_visit_and_buffers_bounded",
            ),
        ),
    ]
