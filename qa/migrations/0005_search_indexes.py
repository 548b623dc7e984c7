"""GIN indexes for searching the information package (conferences/package/search.py): the
question's text and each language column of the written answer, each with its language's
accent-insensitive configuration (made by conferences 0012). Expression indexes built from
the same ``SearchVector`` the search uses, so PostgreSQL can use them; nothing on SQLite."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEXES = (
    ("question", "text", "dk_norwegian", "question_search_nb"),
    ("answer", "text_nb", "dk_norwegian", "answer_search_nb"),
    ("answer", "text_nn", "dk_norwegian", "answer_search_nn"),
    ("answer", "text_en", "dk_english", "answer_search_en"),
)


def _indexes(apps):
    for model, column, config, name in INDEXES:
        yield apps.get_model("qa", model), GinIndex(SearchVector(column, config=config), name=name)


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
        ("qa", "0004_content_per_language"),
        ("conferences", "0012_package_search"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
