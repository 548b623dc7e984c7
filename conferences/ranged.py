"""Serve a stored file with HTTP range requests (RFC 9110 section 14), so players can seek.

Only the requested bytes are read, in chunks, from an open file: a request for one megabyte of
a 10 GB recording reads one megabyte. Django's ``FileResponse`` neither answers ranges nor
streams under ASGI (it consumes a synchronous iterator whole before sending), so the body here
is an asynchronous iterator under ASGI and a synchronous one under WSGI. Storage without local
paths (S3-compatible object storage) gets a redirect to the storage's own, signed address,
which answers ranges itself.
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
    try:
        path = storage.path(name)
    except NotImplementedError:
        return HttpResponseRedirect(storage.url(name))
    try:
        size = os.path.getsize(path)
    except OSError:
        raise Http404("The file is missing from storage.") from None
    modified = last_modified.timestamp() if last_modified else None
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
        body = (_read_async if isinstance(request, ASGIRequest) else _read_sync)(
            path, first, length
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
    if filename or as_attachment:
        disposition = content_disposition_header(as_attachment, filename)
        if disposition:
            response["Content-Disposition"] = disposition
    return response
