"""Validators for identifiers used in Norwegian public procurement."""

from __future__ import annotations

import codecs
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

NOTICE_REFERENCE_RE = re.compile(r"^(?P<year>\d{4})-(?P<number>\d{6})$")
_ORGNR_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def validate_notice_reference(value: str) -> None:
    """A Doffin notice ID: ``YYYY-NNNNNN`` with a plausible year."""
    match = NOTICE_REFERENCE_RE.match(value or "")
    if not match or not 2000 <= int(match["year"]) <= 2099:
        raise ValidationError(
            _("Enter a Doffin notice reference in the form YYYY-NNNNNN, for example 2026-104512."),
            code="invalid_notice_reference",
        )


def normalise_organisation_number(value: str) -> str:
    """Drop the spaces people type in Norwegian organisation numbers (``974 760 673``)."""
    return re.sub(r"\s+", "", value or "")


def is_valid_organisation_number(value: str) -> bool:
    """MOD11 over the first eight digits (DOMAIN.md rule 6); check digit 10 is invalid."""
    digits = normalise_organisation_number(value)
    if len(digits) != 9 or not digits.isascii() or not digits.isdigit():
        return False
    remainder = sum(int(d) * w for d, w in zip(digits[:8], _ORGNR_WEIGHTS, strict=True)) % 11
    if remainder == 0:
        check = 0
    elif remainder == 1:
        return False
    else:
        check = 11 - remainder
    return check == int(digits[8])


def validate_organisation_number(value: str) -> None:
    if not is_valid_organisation_number(value):
        raise ValidationError(
            _("Enter a valid Norwegian organisation number: nine digits, for example 974 760 673."),
            code="invalid_organisation_number",
        )


# --- Uploaded files of the information package ----------------------------------------------

_MP4_BRANDS = (b"ftyp",)
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"  # WebM (Matroska) files start with an EBML header


def _already_stored(value: Any) -> bool:
    """A file already in storage (a saved item's ``FieldFile``, not a new upload): it was judged
    when it arrived. Reading it again would fetch it: S3 storage downloads the whole object to
    open it, on every save of the item."""
    return getattr(value, "_committed", False) is True and bool(getattr(value, "name", ""))


def _head(value: Any, size: int) -> bytes:
    """The first ``size`` bytes of an uploaded or stored file, leaving its position at 0."""
    handle = getattr(value, "file", value)
    handle.seek(0)
    head = handle.read(size)
    handle.seek(0)
    return head


def _file_size(value: Any) -> int:
    size = getattr(value, "size", None)
    return int(size) if size is not None else 0


def validate_video_file(value: Any) -> None:
    """An MP4 (``ftyp`` box) or WebM (EBML header) file, judged by its bytes, not its name, no
    larger than ``VIDEO_MAX_UPLOAD_BYTES``."""
    if _already_stored(value):
        return
    if _file_size(value) > settings.VIDEO_MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The video file is too large (at most %(size)s GB).")
            % {"size": round(settings.VIDEO_MAX_UPLOAD_BYTES / 1_000_000_000, 1)},
            code="video_too_large",
        )
    head = _head(value, 12)
    if not (head[4:8] in _MP4_BRANDS or head.startswith(_EBML_MAGIC)):
        raise ValidationError(_("Upload an MP4 or WebM video file."), code="invalid_video_file")


def validate_webvtt(value: Any) -> None:
    """A WebVTT file: UTF-8 text starting with ``WEBVTT`` (a byte-order mark is allowed)."""
    if _already_stored(value):
        return
    if _file_size(value) > settings.CAPTION_MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The caption file is too large (at most %(size)s MB).")
            % {"size": settings.CAPTION_MAX_UPLOAD_BYTES // 1_000_000},
            code="caption_too_large",
        )
    head = _head(value, 16).removeprefix(b"\xef\xbb\xbf")
    if not (
        head.startswith(b"WEBVTT") and (len(head) == 6 or head[6:7] in (b" ", b"\t", b"\n", b"\r"))
    ):
        raise ValidationError(
            _("Upload a WebVTT caption file (.vtt): the file must begin with “WEBVTT”."),
            code="invalid_webvtt",
        )
    handle = getattr(value, "file", value)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        handle.seek(0)
        for chunk in iter(lambda: handle.read(64 * 1024), b""):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise ValidationError(
            _("The caption file must be saved as UTF-8 text."), code="invalid_webvtt_encoding"
        ) from exc
    finally:
        handle.seek(0)


def validate_pdf(value: Any) -> None:
    """A PDF (``%PDF-`` at the start) no larger than ``DOCUMENT_MAX_UPLOAD_BYTES``."""
    if _already_stored(value):
        return
    if _file_size(value) > settings.DOCUMENT_MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The document is too large (at most %(size)s MB).")
            % {"size": settings.DOCUMENT_MAX_UPLOAD_BYTES // 1_000_000},
            code="document_too_large",
        )
    if not _head(value, 5) == b"%PDF-":
        raise ValidationError(_("Upload a PDF document."), code="invalid_pdf")
