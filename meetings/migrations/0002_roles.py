"""Give the roles their permissions on the meetings models."""

from django.db import migrations


def sync(apps, schema_editor):
    from dialogkonferanse.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0001_initial"),
        ("conferences", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
