import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dialogkonferanse", "0005_audit_roles"),
    ]

    # The unique (email, position) index serves lookups by email: drop only the index.
    # (AlterField alone would also drop and re-add the foreign-key constraint, validating it
    # under locks that block writes to both tables.)
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="outboundattachment",
                    name="email",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="attachments",
                        to="dialogkonferanse.outboundemail",
                        verbose_name="email",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql='DROP INDEX IF EXISTS "dialogkonferanse_outboundattachment_email_id_86bb798e"',
                    reverse_sql='CREATE INDEX IF NOT EXISTS "dialogkonferanse_outboundattachment_email_id_86bb798e" ON "dialogkonferanse_outboundattachment" ("email_id")',
                ),
            ],
        ),
    ]
