"""The single-link columns, now in PersonalLink (0007), go; in their own migration, so the
rows 0007 wrote are committed before the table is altered."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("registrations", "0007_personal_links"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="registration",
            name="registration_unique_token_hash",
        ),
        migrations.RemoveField(
            model_name="registration",
            name="token_hash",
        ),
        migrations.RemoveField(
            model_name="registration",
            name="token_issued_at",
        ),
    ]
