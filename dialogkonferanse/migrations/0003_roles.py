"""Give procurement staff access to the email outbox."""

from django.db import migrations


def sync(apps, schema_editor):
    from dialogkonferanse.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("dialogkonferanse", "0002_outbox_mime"), ("conferences", "0002_roles")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
