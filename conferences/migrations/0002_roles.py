"""Create the roles "Procurement staff" and "Moderator" with their permissions."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from dialogkonferanse.roles import sync_roles

    sync_roles(apps)


def remove_roles(apps, schema_editor):
    from dialogkonferanse.roles import MODERATOR, PROCUREMENT_STAFF

    apps.get_model("auth", "Group").objects.filter(name__in=[PROCUREMENT_STAFF, MODERATOR]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("conferences", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
