"""Everything that writes conferences (``conference``) and their information package
(``package``)."""

from .conference import (
    LIFECYCLE_FIELDS,
    SCHEDULE_FIELDS,
    lock_conference_for_share,
    save_conference,
    transition_conference,
)
from .package import (
    file_digest,
    publish_clarification,
    publish_document,
    publish_recording,
    queue_archive_emails,
    save_clarification,
    save_document,
    save_recording,
    stored_file_digest,
    unpublish_clarification,
    unpublish_document,
    unpublish_recording,
)

__all__ = [
    "LIFECYCLE_FIELDS",
    "SCHEDULE_FIELDS",
    "file_digest",
    "lock_conference_for_share",
    "publish_clarification",
    "publish_document",
    "publish_recording",
    "queue_archive_emails",
    "save_clarification",
    "save_conference",
    "save_document",
    "save_recording",
    "stored_file_digest",
    "transition_conference",
    "unpublish_clarification",
    "unpublish_document",
    "unpublish_recording",
]
