import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("conferences", "0006_package_roles"),
        ("registrations", "0003_session_secret"),
    ]

    # The index on (conference, created_at) serves lookups by conference: drop only the index.
    # (AlterField alone would also drop and re-add the foreign-key constraint, validating it
    # under locks that block writes to both tables.)
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="registration",
                    name="conference",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="registrations",
                        to="conferences.conference",
                        verbose_name="conference",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS "registrations_registration_conference_id_a78ef2bc"',
                    reverse_sql='CREATE INDEX IF NOT EXISTS "registrations_registration_conference_id_a78ef2bc" ON "registrations_registration" ("conference_id")',
                ),
            ],
        ),
    ]
