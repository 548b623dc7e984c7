import secrets

from django.db import migrations, models

import registrations.tokens


def distinct_secrets(apps, schema_editor):
    # AddField gives existing rows one shared default; each registration needs its own.
    Registration = apps.get_model("registrations", "Registration")
    for pk in Registration.objects.values_list("pk", flat=True):
        Registration.objects.filter(pk=pk).update(session_secret=secrets.token_hex(16))


class Migration(migrations.Migration):
    dependencies = [
        ("registrations", "0002_roles"),
    ]

    operations = [
        migrations.AddField(
            model_name="registration",
            name="session_secret",
            field=models.CharField(
                default=registrations.tokens.new_session_secret, editable=False, max_length=32
            ),
        ),
        migrations.RunPython(distinct_secrets, migrations.RunPython.noop),
    ]
