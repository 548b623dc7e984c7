"""Upload handlers that take the SHA-256 of each uploaded file as its bytes arrive.

A file posted with a form (the recording and document forms without JavaScript) passes through
the server once: Django streams it in 64 KB chunks into memory (small files) or a temporary file.
These handlers update a SHA-256 with the same chunks, so the evidence is ready when the upload
is, and the file need not be read again before it goes to storage (for an 8 GB recording on
object storage that saves a full pass over the temporary file). The file object carries
``sha256`` (hex) and its size as ``size``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler


class _Hashing:
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        # Before Django's: the in-memory handler ends by raising StopFutureHandlers.
        self.digest = hashlib.sha256()
        super().new_file(*args, **kwargs)  # type: ignore[misc]

    def file_complete(self, file_size: int) -> Any:
        uploaded = super().file_complete(file_size)  # type: ignore[misc]
        if uploaded is not None:
            uploaded.sha256 = self.digest.hexdigest()
        return uploaded


class HashingMemoryFileUploadHandler(_Hashing, MemoryFileUploadHandler):
    """Django's in-memory handler (files up to ``FILE_UPLOAD_MAX_MEMORY_SIZE``), hashing."""

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self.activated:
            self.digest.update(raw_data)
        return super().receive_data_chunk(raw_data, start)


class HashingTemporaryFileUploadHandler(_Hashing, TemporaryFileUploadHandler):
    """Django's temporary-file handler (larger files), hashing."""

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.digest.update(raw_data)
        return super().receive_data_chunk(raw_data, start)


def hashed_upload(file: Any) -> tuple[str, int] | None:
    """``(sha256, size)`` of a file these handlers received, else ``None``."""
    sha256 = getattr(file, "sha256", None)
    return (sha256, file.size) if isinstance(sha256, str) and sha256 else None
