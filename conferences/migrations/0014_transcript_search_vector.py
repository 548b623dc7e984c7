"""Transcript passages keep their parsed text (``search``), indexed with GIN, instead of
expression indexes: ranking a common word's thousands of hits then reads the stored vectors
rather than parsing every passage again. PostgreSQL only, like 0012."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import migrations

CONFIGS = (("dk_norwegian", ("nb", "nn")), ("dk_english", ("en",)), ("dk_simple", ("se",)))
VECTOR_INDEX = GinIndex(fields=["search"], name="segment_search_vector")


def _expression_indexes():
    return [
        GinIndex(SearchVector("text", config=name), name=f"segment_search_{name[3:]}")
        for name, _languages in CONFIGS
    ]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    segment = apps.get_model("conferences", "TranscriptSegment")
    for index in _expression_indexes():
        schema_editor.remove_index(segment, index)
    for name, languages in CONFIGS:
        segment.objects.filter(language__in=languages).update(
            search=SearchVector("text", config=name)
        )
    schema_editor.add_index(segment, VECTOR_INDEX)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    segment = apps.get_model("conferences", "TranscriptSegment")
    schema_editor.remove_index(segment, VECTOR_INDEX)
    for index in _expression_indexes():
        schema_editor.add_index(segment, index)


class Migration(migrations.Migration):
    dependencies = [
        ("conferences", "0013_package_bundle"),
    ]

    operations = [
        migrations.AddField(
            model_name="transcriptsegment",
            name="search",
            field=SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(forwards, backwards),
    ]
