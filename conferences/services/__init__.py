"""Everything that writes conferences. Publishing their information package is part of the
public record, in ``conferences.package.publishing``."""

from .conference import (
    LIFECYCLE_FIELDS,
    SCHEDULE_FIELDS,
    can_transition,
    lock_conference_for_share,
    next_statuses,
    save_conference,
    transition_conference,
)

__all__ = [
    "LIFECYCLE_FIELDS",
    "SCHEDULE_FIELDS",
    "can_transition",
    "lock_conference_for_share",
    "next_statuses",
    "save_conference",
    "transition_conference",
]
