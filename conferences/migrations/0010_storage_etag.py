# Written by hand: the two fields of object storage's publish check (the entity tag of the
# object whose bytes were hashed), nothing else.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("conferences", "0009_upload_multipart_id"),
    ]

    operations = [
        migrations.AddField(
            model_name="recording",
            name="storage_etag",
            field=models.CharField(
                blank=True, editable=False, max_length=200, verbose_name="storage entity tag"
            ),
        ),
        migrations.AddField(
            model_name="document",
            name="storage_etag",
            field=models.CharField(
                blank=True, editable=False, max_length=200, verbose_name="storage entity tag"
            ),
        ),
    ]
