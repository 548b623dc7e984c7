"""Who may moderate: the Moderator group, or staff holding the Q&A permissions."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

MODERATE_PERMISSIONS = ("qa.change_question", "qa.add_answer")


def can_moderate(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perms(MODERATE_PERMISSIONS)
    )
