"""Create the roles "Procurement staff" and "Moderator" with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

STAFF = "Procurement staff"
MODERATOR = "Moderator"

STAFF_MODELS = ("buyerorganisation", "conference", "agendaitem", "noticereference")
MODERATOR_VIEW = ("conference", "agendaitem")


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; make them exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    staff, _ = Group.objects.get_or_create(name=STAFF)
    moderator, _ = Group.objects.get_or_create(name=MODERATOR)
    staff_perms = Permission.objects.filter(
        content_type__app_label="conferences", content_type__model__in=STAFF_MODELS
    )
    staff.permissions.add(*staff_perms)
    staff.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="conferences", codename="view_statuschange"
        )
    )
    moderator.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="conferences",
            codename__in=[f"view_{model}" for model in MODERATOR_VIEW],
        )
    )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[STAFF, MODERATOR]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("conferences", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
