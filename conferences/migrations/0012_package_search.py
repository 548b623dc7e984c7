"""Search in the information package (conferences/package/search.py): the ``unaccent``
extension, text search configurations that strip accents before the language's stemmer
(``dk_norwegian``, ``dk_english``, ``dk_simple``), transcript passages with their moment in the
video, and GIN indexes on the passages' text per configuration. PostgreSQL only; nothing but the
table on SQLite (``make run`` searches with a substring match there).

The indexes are expression indexes made by ``GinIndex(SearchVector(...))`` here rather than in
the model's ``Meta``: a ``GinIndex`` in ``Meta`` cannot be created on SQLite. They compile to the
same expression the search queries use, so PostgreSQL can use them.
"""

import django.db.models.deletion
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.operations import UnaccentExtension
from django.contrib.postgres.search import SearchVector
from django.db import migrations, models

CONFIGS = (("dk_norwegian", "norwegian"), ("dk_english", "english"), ("dk_simple", "simple"))
WORD_TYPES = "hword, hword_part, word"  # the token types that can hold non-ASCII letters


def _segment_indexes():
    return [
        GinIndex(SearchVector("text", config=name), name=f"segment_search_{name[3:]}")
        for name, _source in CONFIGS
    ]


def create_search(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, source in CONFIGS:
        stem = "simple" if source == "simple" else f"{source}_stem"
        schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {name}")
        schema_editor.execute(
            f"CREATE TEXT SEARCH CONFIGURATION {name} (COPY = pg_catalog.{source})"
        )
        schema_editor.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {name} "
            f"ALTER MAPPING FOR {WORD_TYPES} WITH unaccent, {stem}"
        )
    segment = apps.get_model("conferences", "TranscriptSegment")
    for index in _segment_indexes():
        schema_editor.add_index(segment, index)


def drop_search(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    segment = apps.get_model("conferences", "TranscriptSegment")
    for index in _segment_indexes():
        schema_editor.remove_index(segment, index)
    for name, _source in CONFIGS:
        schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("conferences", "0011_content_per_language"),
    ]

    operations = [
        UnaccentExtension(),
        migrations.CreateModel(
            name="TranscriptSegment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "language",
                    models.CharField(
                        choices=[
                            ("nb", "Norwegian Bokmål"),
                            ("nn", "Norwegian Nynorsk"),
                            ("en", "English"),
                            ("se", "Northern Sami"),
                        ],
                        max_length=5,
                        verbose_name="language",
                    ),
                ),
                ("position", models.PositiveIntegerField(verbose_name="position")),
                (
                    "start_seconds",
                    models.PositiveIntegerField(
                        blank=True, null=True, verbose_name="starts at (seconds)"
                    ),
                ),
                ("text", models.TextField(verbose_name="text")),
                (
                    "recording",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="transcript_segments",
                        to="conferences.recording",
                        verbose_name="recording",
                    ),
                ),
            ],
            options={
                "verbose_name": "transcript passage",
                "verbose_name_plural": "transcript passages",
                "ordering": ("recording", "language", "position"),
                "constraints": [
                    models.UniqueConstraint(
                        fields=("recording", "language", "position"),
                        name="segment_unique_position",
                    )
                ],
            },
        ),
        migrations.RunPython(create_search, drop_search),
    ]
