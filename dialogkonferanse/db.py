"""Kept for the migrations only: they name the field class by this path
(``dialogkonferanse.db.HttpsURLField``), and migration files are never rewritten. The base model
and the field live in ``dialogkonferanse.common.db``; code imports them from there."""

from dialogkonferanse.common.db import HttpsURLField

__all__ = ["HttpsURLField"]
