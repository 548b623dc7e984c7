"""Give procurement staff access to registrations in the admin."""

from django.db import migrations


def sync(apps, schema_editor):
    from dialogkonferanse.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("registrations", "0001_initial"), ("conferences", "0002_roles")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
