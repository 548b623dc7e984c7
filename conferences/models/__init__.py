"""Models of the conferences app: conferences and their agenda (``conference``), and the public
information package (``package``)."""

from .bundle import PackageBundle
from .conference import (
    AgendaItem,
    BuyerOrganisation,
    Conference,
    ConferenceQuerySet,
    NoticeReference,
    StatusChange,
    default_dialogue_rules,
    https_only,
)
from .package import (
    VIDEO_CONTENT_TYPES,
    Caption,
    Chapter,
    Clarification,
    Document,
    PackageChange,
    Recording,
)
from .search import TranscriptSegment
from .upload import Upload

__all__ = [
    "VIDEO_CONTENT_TYPES",
    "AgendaItem",
    "BuyerOrganisation",
    "Caption",
    "Chapter",
    "Clarification",
    "Conference",
    "ConferenceQuerySet",
    "Document",
    "NoticeReference",
    "PackageBundle",
    "PackageChange",
    "Recording",
    "StatusChange",
    "TranscriptSegment",
    "Upload",
    "default_dialogue_rules",
    "https_only",
]
