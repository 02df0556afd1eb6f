"""Patients' phone numbers become real phone numbers (E.164), and the desk can record a date of
birth.

Existing numbers that parse (UK by default) are rewritten as E.164. Those that do not parse are
kept exactly as typed rather than blanked: a half-right number is still the only way to reach
some patients, the desk sees it on the patient's pages, and the next time anyone saves the
person through a form the number must be a real one. The migration counts them in its output.
"""

import phonenumbers
from django.db import migrations, models

import portal.phones


def usable(number):
    # Frozen copy of portal.phones.usable (a migration must not change when that module does).
    if phonenumbers.is_valid_number(number):
        return True
    national = str(number.national_number)
    return number.country_code == 44 and national.startswith("7700900") and len(national) == 10


def normalise_phones(apps, schema_editor):
    User = apps.get_model("portal", "User")
    kept = 0
    for pk, value in User.objects.exclude(phone="").values_list("pk", "phone").iterator():
        raw = str(getattr(value, "raw_input", "") or value).strip()
        try:
            number = phonenumbers.parse(raw, "GB")
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not usable(number):
            kept += 1
            continue
        stored = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        User.objects.filter(pk=pk).update(phone=stored)
    if kept:
        print(f"\n  {kept} phone number(s) did not parse and were kept as typed.")


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0013_clinic_waitlist_settings"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="date_of_birth",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="user",
            name="phone",
            field=portal.phones.PhoneNumberModelField(blank=True, max_length=40, region=None),
        ),
        migrations.RunPython(normalise_phones, migrations.RunPython.noop),
    ]
