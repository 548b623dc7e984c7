"""Which outbox emails held a personal link, and the failed ones' messages dropped.

Before this field, a failed email kept its message (with the personal link in it) until its
registration was anonymised. An email held a secret when its record shows the redaction mark
(``dialogkonferanse.outbox.queue.REDACTED``) where the message had the link.
"""

from django.db import migrations, models
from django.db.models import Q

REDACTED = "[…]"  # as dialogkonferanse.outbox.queue.REDACTED was when this was written


def mark_and_drop(apps, schema_editor):
    OutboundEmail = apps.get_model("dialogkonferanse", "OutboundEmail")
    redacted = (
        Q(subject__contains=REDACTED)
        | Q(body_text__contains=REDACTED)
        | Q(body_html__contains=REDACTED)
    )
    OutboundEmail.objects.filter(redacted).update(holds_secret=True)
    OutboundEmail.objects.filter(redacted, status="failed").update(mime=b"")


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
