"""Give procurement staff the permissions of the information package."""

from django.db import migrations


def sync(apps, schema_editor):
    from dialogkonferanse.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("conferences", "0005_information_package"),
        ("registrations", "0003_session_secret"),
        ("meetings", "0002_roles"),
        ("qa", "0002_roles"),
        ("dialogkonferanse", "0003_roles"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
