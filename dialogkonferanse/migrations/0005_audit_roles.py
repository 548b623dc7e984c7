"""Give procurement staff read access to the audit log."""

from django.db import migrations


def sync(apps, schema_editor):
    from dialogkonferanse.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("dialogkonferanse", "0004_audit_log"),
        ("conferences", "0004_retention_months"),
        ("registrations", "0003_session_secret"),
        ("meetings", "0002_roles"),
        ("qa", "0002_roles"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
