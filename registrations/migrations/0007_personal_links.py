"""Several personal links per registration: each stored token hash becomes a PersonalLink, so
every link already emailed keeps working (the next migration drops the single-link columns)."""

import django.db.models.deletion
from django.db import migrations, models


def move_tokens_to_links(apps, schema_editor):
    Registration = apps.get_model("registrations", "Registration")
    PersonalLink = apps.get_model("registrations", "PersonalLink")
    rows = (
        Registration.objects.filter(token_hash__isnull=False)
        .values_list("pk", "token_hash", "token_issued_at", "created_at")
        .order_by("pk")
    )
    batch = []
    for pk, token_hash, issued_at, created_at in rows.iterator(chunk_size=2000):
        batch.append(
            PersonalLink(
                registration_id=pk,
                token_hash=token_hash,
                purpose="registration_link",
                created_at=issued_at or created_at,
                updated_at=issued_at or created_at,
            )
        )
        if len(batch) >= 2000:
            PersonalLink.objects.bulk_create(batch)
            batch = []
    PersonalLink.objects.bulk_create(batch)


def move_links_to_tokens(apps, schema_editor):
    """Back to one link per registration: the newest link still valid is kept."""
    Registration = apps.get_model("registrations", "Registration")
    PersonalLink = apps.get_model("registrations", "PersonalLink")
    links = PersonalLink.objects.filter(revoked_at__isnull=True).order_by(
        "registration_id", "-created_at", "-pk"
    )
    seen = set()
    for link in links.iterator(chunk_size=2000):
        if link.registration_id in seen:
            continue
        seen.add(link.registration_id)
        Registration.objects.filter(pk=link.registration_id).update(
            token_hash=link.token_hash, token_issued_at=link.created_at
        )


class Migration(migrations.Migration):
    dependencies = [
        ("registrations", "0006_header_safe_names_and_address"),
    ]

    operations = [
        migrations.CreateModel(
            name="PersonalLink",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(auto_now_add=True, verbose_name="created"),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated")),
                ("token_hash", models.CharField(editable=False, max_length=64, unique=True)),
                (
                    "purpose",
                    models.CharField(editable=False, max_length=50, verbose_name="sent with"),
                ),
                (
                    "expires_at",
                    models.DateTimeField(
                        blank=True, editable=False, null=True, verbose_name="expires at"
                    ),
                ),
                (
                    "revoked_at",
                    models.DateTimeField(
                        blank=True, editable=False, null=True, verbose_name="revoked at"
                    ),
                ),
                (
                    "last_used_at",
                    models.DateTimeField(
                        blank=True, editable=False, null=True, verbose_name="last used at"
                    ),
                ),
                (
                    "registration",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="personal_links",
                        to="registrations.registration",
                        verbose_name="registration",
                    ),
                ),
            ],
            options={
                "verbose_name": "personal link",
                "verbose_name_plural": "personal links",
                "ordering": ("registration", "created_at", "pk"),
                "indexes": [
                    models.Index(
                        fields=["registration", "created_at"], name="personallink_reg_created"
                    )
                ],
            },
        ),
        migrations.RunPython(move_tokens_to_links, move_links_to_tokens, elidable=False),
    ]
