"""The audit trail (portal.audit): role changes move into it, and on PostgreSQL a trigger
refuses UPDATE and DELETE of its rows, so even a hand-typed query cannot rewrite history."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION portal_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit rows are never changed or deleted';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER portal_auditevent_append_only
    BEFORE UPDATE OR DELETE ON portal_auditevent
    FOR EACH ROW EXECUTE FUNCTION portal_auditevent_append_only();
"""
DROP_APPEND_ONLY = """
DROP TRIGGER IF EXISTS portal_auditevent_append_only ON portal_auditevent;
DROP FUNCTION IF EXISTS portal_auditevent_append_only();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


def role_changes_into_trail(apps, schema_editor):
    RoleChange = apps.get_model("portal", "RoleChange")
    AuditEvent = apps.get_model("portal", "AuditEvent")
    Clinic = apps.get_model("portal", "Clinic")
    fallback = Clinic.objects.order_by("pk").first()
    for change in RoleChange.objects.select_related("user").order_by("pk"):
        clinic_id = change.user.clinic_id or (fallback.pk if fallback else None)
        if clinic_id is None:
            continue  # no clinic has ever been set up, so there is nothing to attach it to
        AuditEvent.objects.create(
            clinic_id=clinic_id,
            at=change.changed_at,
            action="role_changed",
            actor_id=change.changed_by_id,
            actor_email=change.changed_by_email,
            subject_id=change.user_id,
            detail={"from": change.from_role, "to": change.to_role},
        )


def trail_back_into_role_changes(apps, schema_editor):
    RoleChange = apps.get_model("portal", "RoleChange")
    AuditEvent = apps.get_model("portal", "AuditEvent")
    for event in AuditEvent.objects.filter(action="role_changed", subject__isnull=False):
        RoleChange.objects.create(
            user_id=event.subject_id,
            changed_by_id=event.actor_id,
            changed_by_email=event.actor_email,
            from_role=event.detail.get("from", ""),
            to_role=event.detail.get("to", ""),
            changed_at=event.at,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0007_clinic_team_idle_minutes"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ("action", models.CharField(db_index=True, max_length=40)),
                ("actor_email", models.CharField(blank=True, max_length=254)),
                ("detail", models.JSONField(blank=True, default=dict)),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "clinic",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="portal.clinic",
                    ),
                ),
                (
                    "subject",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-at", "-pk"],
            },
        ),
        migrations.RunPython(role_changes_into_trail, trail_back_into_role_changes),
        migrations.DeleteModel(
            name="RoleChange",
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["subject", "-at"], name="audit_subject_at"),
        ),
        migrations.RunPython(_on_postgresql(APPEND_ONLY), _on_postgresql(DROP_APPEND_ONLY)),
    ]
