"""Shared machinery below every app (ARCHITECTURE.md, layer 0): it imports only Django,
Celery and Redis, never an app of the project."""
