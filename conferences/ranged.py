"""Serve a stored file with HTTP range requests (RFC 9110 section 14), so players can seek.

Only the requested bytes are read, in chunks, from an open file: a request for one megabyte of
a 10 GB recording reads one megabyte. Django's ``FileResponse`` neither answers ranges nor
streams under ASGI (it consumes a synchronous iterator whole before sending), so the body here
is an asynchronous iterator under ASGI and a synchronous one under WSGI.

S3-compatible object storage (``DJANGO_MEDIA_STORAGE=s3``): the answer is a redirect to a
short-lived signed address of the object whose response carries this file's ``Content-Type``,
``Content-Disposition`` and caching (the storage answers ranges itself). Where the browser may
not fetch from the storage (``AWS_S3_PROXY_MEDIA=1``) the app streams the range from the storage
instead: one ranged GET, passed on block by block, never the whole object.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

from django.core.handlers.asgi import ASGIRequest
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header, http_date, parse_http_date_safe

from .services.storage import (
    StoredObjectMissing,
    head_object,
    is_object_storage,
    proxy_media,
    read_object,
    signed_url,
)

CHUNK_SIZE = 256 * 1024
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


class Unsatisfiable(Exception):
    """The range lies outside the file (answered with 416)."""


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The single byte range ``(first, last)`` (inclusive) asked for in ``header``.

    ``None`` when there is no usable range: no header, a malformed one, or several ranges
    (which a server may answer with the whole file). Raises ``Unsatisfiable`` for a valid
    range outside the file.
    """
    match = _RANGE.match(header or "")
    if not match:
        return None
    first_raw, last_raw = match.groups()
    if not first_raw and not last_raw:
        return None
    if not first_raw:  # "bytes=-500": the last 500 bytes
        suffix = int(last_raw)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - suffix), size - 1
    first = int(first_raw)
    if last_raw and int(last_raw) < first:
        return None
    if first >= size:
        raise Unsatisfiable
    return first, min(int(last_raw), size - 1) if last_raw else size - 1


def _if_range_allows(request: HttpRequest, etag: str, last_modified: float | None) -> bool:
    """``If-Range``: the range applies only while the file is the one the client has."""
    value = request.headers.get("If-Range")
    if not value:
        return True
    if value.startswith(('"', "W/")):
        return value == etag and not value.startswith("W/")
    moment = parse_http_date_safe(value)
    return moment is not None and last_modified is not None and moment == int(last_modified)


def _read_sync(path: str, start: int, length: int) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk


def _read_object_sync(storage: Any, name: str, start: int, length: int) -> Iterator[bytes]:
    if length <= 0:
        return iter(())
    return read_object(storage=storage, name=name, first=start, last=start + length - 1)


_DONE = object()


async def _read_object_async(
    storage: Any, name: str, start: int, length: int
) -> AsyncIterator[bytes]:
    # boto3 is synchronous: each block is fetched in a thread, one at a time.
    blocks = await asyncio.to_thread(_read_object_sync, storage, name, start, length)
    try:
        while (block := await asyncio.to_thread(next, blocks, _DONE)) is not _DONE:
            yield block  # type: ignore[misc]
    finally:
        close = getattr(blocks, "close", None)
        if close is not None:
            await asyncio.to_thread(close)


async def _read_async(path: str, start: int, length: int) -> AsyncIterator[bytes]:
    handle = await asyncio.to_thread(open, path, "rb")
    try:
        await asyncio.to_thread(handle.seek, start)
        remaining = length
        while remaining > 0:
            chunk = await asyncio.to_thread(handle.read, min(CHUNK_SIZE, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


def ranged_file_response(
    request: HttpRequest,
    *,
    field_file: Any,
    content_type: str,
    etag: str,
    last_modified: dt.datetime | None,
    filename: str = "",
    as_attachment: bool = False,
    cache_control: str = "public, max-age=300",
) -> HttpResponseBase:
    """The file (or the one byte range asked for) of ``field_file``, with validators.

    Answers 200 (whole file), 206 (``Content-Range``), 304/412 (conditional requests) or 416
    (``Content-Range: bytes */size``). ``etag`` is a strong, quoted entity tag.
    """
    storage, name = field_file.storage, field_file.name
    modified = last_modified.timestamp() if last_modified else None
    disposition = (
        content_disposition_header(as_attachment, filename) if filename or as_attachment else None
    )
    remote = is_object_storage(storage)
    if remote and not proxy_media():
        conditional = get_conditional_response(request, etag=etag, last_modified=modified)
        if conditional is not None:
            return conditional
        response = HttpResponseRedirect(
            signed_url(
                storage=storage,
                name=name,
                content_type=content_type,
                content_disposition=disposition or "",
                cache_control=cache_control,
            )
        )
        # The address expires: neither the browser nor a shared cache may keep the redirect.
        response["Cache-Control"] = "private, no-store"
        return response
    try:
        if remote:
            size = head_object(storage=storage, name=name).size
        else:
            path = storage.path(name)
            size = os.path.getsize(path)
    except (OSError, StoredObjectMissing):
        raise Http404("The file is missing from storage.") from None
    conditional = get_conditional_response(request, etag=etag, last_modified=modified)
    if conditional is not None:
        return conditional

    first, last, status = 0, size - 1, 200
    if "Range" in request.headers and _if_range_allows(request, etag, modified):
        try:
            wanted = parse_range(request.headers["Range"], size)
        except Unsatisfiable:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            response["Accept-Ranges"] = "bytes"
            return response
        if wanted is not None:
            (first, last), status = wanted, 206
    length = max(0, last - first + 1)

    response: HttpResponseBase
    if request.method == "HEAD":
        response = HttpResponse(status=status, content_type=content_type)
    else:
        is_async = isinstance(request, ASGIRequest)
        body = (
            (_read_object_async if is_async else _read_object_sync)(storage, name, first, length)
            if remote
            else (_read_async if is_async else _read_sync)(path, first, length)
        )
        response = StreamingHttpResponse(body, status=status, content_type=content_type)
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    if modified is not None:
        response["Last-Modified"] = http_date(modified)
    if status == 206:
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    if disposition:
        response["Content-Disposition"] = disposition
    return response
