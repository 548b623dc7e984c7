"""Which outbox emails held a personal link, and the failed ones' messages dropped.

Before this field, a failed email kept its message (with the personal link in it) until its
registration was anonymised. Every secret an email has held is a personal link's token, so an
email held one when its text body shows a link with the redaction mark
(``dialogkonferanse.outbox.queue.REDACTED``) for the token: ``/r/[…]/``. Only emails not yet
sent are looked at (a sent one has no message left, and the flag matters only for the others),
so the update touches a few rows, not the whole outbox.
"""

from django.db import migrations, models

# A personal link with its token redacted, as dialogkonferanse.outbox.queue.REDACTED and the
# access URL (/r/<token>/) were when this was written.
REDACTED_LINK = "/r/[…]/"


def mark_and_drop(apps, schema_editor):
    OutboundEmail = apps.get_model("dialogkonferanse", "OutboundEmail")
    held = OutboundEmail.objects.filter(
        status__in=("queued", "sending", "failed"), body_text__contains=REDACTED_LINK
    )
    held.update(holds_secret=True)
    held.filter(status="failed").update(mime=b"")


class Migration(migrations.Migration):
    dependencies = [
        ("dialogkonferanse", "0007_outbox_addresses_without_control_characters"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboundemail",
            name="holds_secret",
            field=models.BooleanField(
                default=False, editable=False, verbose_name="held a personal link"
            ),
        ),
        migrations.RunPython(mark_and_drop, migrations.RunPython.noop),
    ]
