"""GIN indexes for searching the information package's clarifications (title and text),
presentation titles and chapter titles, per language column, each with its language's
accent-insensitive configuration: a search then costs no parsing of rows that do not match.
Built from the same ``SearchVector`` expressions as ``conferences/package/search.py`` (the
``SOURCES`` there), so PostgreSQL can use them; nothing on SQLite."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

CONFIG = {"nb": "dk_norwegian", "nn": "dk_norwegian", "en": "dk_english"}
SOURCES = (
    ("clarification", ("title", "text")),
    ("document", ("title",)),
    ("chapter", ("title",)),
)


def _indexes(apps):
    for model, fields in SOURCES:
        for language, config in CONFIG.items():
            columns = [f"{field}_{language}" for field in fields]
            index = GinIndex(
                SearchVector(*columns, config=config), name=f"{model}_search_{language}"
            )
            yield apps.get_model("conferences", model), index


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for model, index in _indexes(apps):
            schema_editor.add_index(model, index)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for model, index in _indexes(apps):
            schema_editor.remove_index(model, index)


class Migration(migrations.Migration):
    dependencies = [
        ("conferences", "0014_transcript_search_vector"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
