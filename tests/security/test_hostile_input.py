"""Hostile input never gets a 5xx, on any URL of the app.

Every URL pattern is found from the URL resolver, so a view added later is covered without
touching this file. For each one, Hypothesis sends requests built from: the pattern's path
parameters filled with real objects or with hostile values (huge numbers, NUL bytes, junk
text); any method; random query strings; bodies of random bytes, URL-encoded and multipart
form data (the page's own field names with random values, broken boundaries), JSON and text;
declared charsets from UTF-8 to UTF-16 and made-up ones; and random header values (language,
range, conditional, event-stream cursor, cookies, host). They come from an anonymous visitor,
a supplier holding a personal link, a moderator and a superuser, with and without the CSRF
check. Whatever comes back must be below 500. The same is tried through the ASGI handler,
which is how the app is served.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

import boto3
import pytest
from asgiref.sync import async_to_sync
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.test import AsyncClient, Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django.utils.crypto import get_random_string
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from conferences.choices import ConferenceStatus, UploadKind
from conferences.models import Upload
from conferences.services.direct_uploads import start_direct_upload
from conferences.services.uploads import start_upload
from qa.models import AnswerDigest
from tests.conferences.package_factories import make_document, make_recording
from tests.factories import (
    make_conference,
    make_meeting_settings,
    make_moderator,
    make_question,
    make_registration,
    make_slot,
    make_user,
)

pytestmark = pytest.mark.django_db

# Examples per URL pattern: modest, so the whole suite stays fast; the admin has many patterns
# built from a handful of generic views (and its own forms, tested upstream), so fewer there.
EXAMPLES = 20
ADMIN_EXAMPLES = 3
ASGI_EXAMPLES = 6
TOKEN = "hostile-input-token-0123456789abcdefghijklmnopqrstuvw"

# A path parameter: <converter:name>, or a named group where a pattern is a regular expression
# (the admin's per-app index and its catch-all).
_PLACEHOLDER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>|\(\?P<(?P<rname>\w+)>[^)]*\)")


def _patterns(resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""):
    """(test id, route) for every URL pattern, nested includes flattened."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern).lstrip("^").rstrip("$")
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _patterns(entry, route, ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield f"{name or 'unnamed'} {route}", route


ROUTES = sorted(set(_patterns()))
_ADMIN_MODEL = re.compile(r"^admin/(?P<app>\w+)/(?P<model>\w+)/")


# --- The site every example runs against -------------------------------------------------------


@dataclass
class Site:
    clients: dict[str, Client]
    async_clients: dict[str, AsyncClient]
    values: dict[str, str]
    field_names: dict[str, list[str]] = field(default_factory=dict)
    # Run before each example: puts back what an earlier example took away (a cancelled upload).
    prepare: list[Callable[[], None]] = field(default_factory=list)

    def ready(self) -> None:
        for step in self.prepare:
            step()


S3_BUCKET = "dialogkonferanse-hostile-input"
UPLOAD_LENGTH = 64 * 1024


def _use_s3(settings, endpoint: str) -> None:
    """Media storage in a bucket of the local S3 API, so the direct-upload routes are live."""
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(Bucket=S3_BUCKET)
    settings.MEDIA_STORAGE = "s3"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": S3_BUCKET,
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "default_acl": None,
                "querystring_auth": True,
                "file_overwrite": False,
            },
        },
    }


def _keep_uploads(values: dict[str, str], owner, *, direct: bool) -> Callable[[], None]:
    """An upload in progress of each kind, owned by ``owner`` (the staff user), under
    ``upload_id:<kind>``; created again (a new id) when an example cancelled or rejected it."""
    start = start_direct_upload if direct else start_upload

    def keep() -> None:
        if not type(owner).objects.filter(pk=owner.pk).exists():
            return  # an example deleted the user in the admin: their uploads went with them
        for kind in (UploadKind.RECORDING, UploadKind.DOCUMENT):
            key = f"upload_id:{kind}"
            if key in values and Upload.objects.filter(pk=values[key]).exists():
                continue
            upload = start(owner=owner, kind=kind, length=UPLOAD_LENGTH, filename=f"{kind}.bin")
            values[key] = str(upload.pk)

    return keep


@pytest.fixture
def site(settings, tmp_path, roles, request) -> Site:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.UPLOAD_TEMP_DIR = tmp_path / "uploads-in-progress"
    callspec = getattr(request.node, "callspec", None)
    direct = "/uploads/direct/" in (callspec.params.get("route", "") if callspec else "")
    if direct:
        _use_s3(settings, request.getfixturevalue("s3_endpoint"))
    # The users' passwords are never typed here; a slow hash would dominate every case's setup.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    conference = make_conference(
        status=ConferenceStatus.LIVE,
        offers_one_to_one=True,
        starts_at=timezone.now() - dt.timedelta(minutes=5),
        registration_opens_at=timezone.now() - dt.timedelta(days=2),
        registration_closes_at=timezone.now() + dt.timedelta(hours=1),
        agenda_items=2,
    )
    make_registration(conference=conference, token=TOKEN)
    question = make_question(conference=conference, status="published")
    recording = make_recording(conference=conference, captions=("nb", "en"), published=True)
    document = make_document(conference=conference, published=True)
    meeting_settings = make_meeting_settings(conference=conference)
    make_slot(team=meeting_settings.teams.first())
    superuser = make_user(superuser=True)

    clients = {"anonymous": Client(headers={"accept-language": "en"})}
    supplier = Client(headers={"accept-language": "nb"})
    assert supplier.get(f"/r/{TOKEN}/").status_code == 302
    clients["supplier"] = supplier
    clients["moderator"] = Client(headers={"accept-language": "nn"})
    clients["moderator"].force_login(make_moderator())
    clients["superuser"] = Client(headers={"accept-language": "en"})
    clients["superuser"].force_login(superuser)
    for client in clients.values():
        client.cookies["csrftoken"] = get_random_string(32)  # as a form page would set

    async_clients = {"anonymous": AsyncClient(), "supplier": AsyncClient()}
    async_clients["supplier"].cookies = supplier.cookies

    conference_type = ContentType.objects.get_for_model(conference)
    site = Site(
        clients=clients,
        async_clients=async_clients,
        values={
            "slug": conference.slug,
            "token": TOKEN,
            "code": "nb",
            "language": "nb",
            "action": "approve",
            "target": "stream",
            "to_status": ConferenceStatus.FOLLOW_UP,
            "app_label": "registrations",
            "content_type_id": str(conference_type.pk),
            "url": "registrations/registration/",
            # pk means a different model on different pages; the route tells which.
            "pk:recordings": str(recording.pk),
            "pk:documents": str(document.pk),
            "pk:questions": str(question.pk),
            "object_id": str(conference.pk),
            "id": str(superuser.pk),
        },
    )
    site.prepare.append(_keep_uploads(site.values, superuser, direct=direct))
    site.ready()
    return site


def _real_value(site: Site, route: str, name: str) -> str:
    if name == "object_id" and (match := _ADMIN_MODEL.match(route)):
        model = apps.get_model(match["app"], match["model"])
        first = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        return str(first if first is not None else 1)
    if name == "pk":
        kinds = [k for k in ("recordings", "documents", "questions") if f"/{k}/" in route]
        name = f"pk:{kinds[0]}" if kinds else name
    if name == "upload_id":
        # Each admin's endpoints take only uploads of its own kind.
        kinds = [k for k in UploadKind.values if f"/{k}/" in route]
        name = f"upload_id:{kinds[0]}" if kinds else name
    if name not in site.values:
        raise AssertionError(f"No real value for <{name}> of {route}: add one to site().")
    return site.values[name]


def _field_names(site: Site, route: str) -> list[str]:
    """The names of the inputs on the page itself, so bodies reach the form's own fields."""
    if route not in site.field_names:
        path = _path(route, {name: _real_value(site, route, name) for name in _names(route)})
        names = {"csrfmiddlewaretoken", "email", "text", "version", "next"}
        for role in ("superuser", "supplier"):
            response = site.clients[role].get(path)
            html = response.get("Content-Type", "").startswith("text/html")
            if response.status_code == 200 and html and not response.streaming:
                names.update(re.findall(r'name="([^"]+)"', response.content.decode()))
        site.field_names[route] = sorted(names)
    return site.field_names[route]


def _names(route: str) -> list[str]:
    return [m["name"] or m["rname"] for m in _PLACEHOLDER.finditer(route)]


def _path(route: str, values: dict[str, str]) -> str:
    def fill(match: re.Match) -> str:
        return quote(values[match["name"] or match["rname"]], safe="")

    return "/" + _PLACEHOLDER.sub(fill, route)


# --- What a hostile client sends -------------------------------------------------------------

_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60)
# HTTP servers (uvicorn, gunicorn) refuse control characters in header values before the app.
_header_safe = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=80,
)
_segment = st.one_of(
    st.sampled_from(
        [
            "0",
            "-1",
            "99999999999999999999999",
            str(2**63),
            str(2**63 - 1),
            str(2**31),
            "1e3",
            "\x00",
            "nb\x00",
            "%00",
            "..",
            " ",
            "NB",
            "zz-zz",
            "x" * 300,
            "\u202e",
            "💥",
            "approve\x00",
            "a/b",
        ]
    ),
    _text.filter(bool),
)
_header_text = st.one_of(
    st.sampled_from(
        [
            "bytes=0-",
            "bytes=-1",
            "bytes=99999999999999999999999-",
            "bytes=5-1",
            "bytes=0-0,1-1,2-2",
            "*",
            "nb",
            "xx-YY;q=abc",
            "Thu, 01 Jan 1970 00:00:00 GMT",
            "99999999999999999999999",
            "-1",
            "0",
            "65536",
            "1.0.0",
            "filename ZmlsbS5tcDQ=",
            '"etag"',
            "W/",
            "csrftoken=" + "x" * 32,
            "sessionid=\x7f",
            "django_language=\u00ff\u00fe",
            "evil.example",
            "[::1]:99999",
            "1.2.3.4, 5.6.7.8",
        ]
    ),
    _header_safe,
)
HEADERS = [
    "accept",
    "accept-language",
    "cookie",
    "host",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "last-event-id",
    "origin",
    "range",
    "referer",
    "tus-resumable",
    "upload-length",
    "upload-metadata",
    "upload-offset",
    "user-agent",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-requested-with",
]
MEDIA_TYPES = [
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "application/json",
    "text/plain",
    "application/octet-stream",
    "application/offset+octet-stream",
    "text/html",
    "",
]
CHARSETS = [
    "utf-8",
    "UTF-8",
    '"utf-8"',
    "utf-16",
    "utf-16-le",
    "utf-32",
    "latin-1",
    "iso-8859-1",
    "cp1252",
    "ascii",
    "shift_jis",
    "utf-7",
    "x-made-up",
    "utf-8\u00ff",
    "",
]
# Codecs that are not text encodings. Django's WSGIRequest constructor decodes the query string
# with the declared charset and raises on these before any project code runs; the app is served
# under ASGI, where they reach UnreadableRequestMiddleware and get a 400. Only the ASGI property
# sends them.
NON_TEXT_CHARSETS = ["rot13", "base64", "hex", "zlib"]
BOUNDARY = "----HostileBoundary7MA4YWxkTrZu0gW"
BOUNDARIES = [BOUNDARY, "", '"', "x" * 300, "a b", "\u00ff", "--", '"quoted"']


_hostile_value = st.one_of(
    _text,
    st.sampled_from(
        [
            "1",
            "0",
            "-1",
            "on",
            "99999999999999999999999",
            "1e309",
            "NaN",
            "2026-13-45T25:61",
            "\x00",
            "a\x00b",
            "\r\nBcc: x@evil.example",
            "<script>alert(1)</script>",
            "x" * 5000,
        ]
    ),
)


@st.composite
def _junk_content_type(draw, charsets: list[str]) -> str:
    parts = [draw(st.sampled_from([*MEDIA_TYPES, "multipart/form-data"])) or draw(_header_safe)]
    if draw(st.booleans()):
        parts.append(f"charset={draw(st.sampled_from(charsets))}")
    if parts[0].startswith("multipart/") or draw(st.booleans()):
        parts.append(f"boundary={draw(st.sampled_from(BOUNDARIES))}")
    return "; ".join(parts)


def _charset_of(content_type: str) -> str:
    match = re.search(r"charset=\"?([^;\"]*)", content_type)
    return match[1] if match else "utf-8"


def _encode(text: str, charset: str) -> bytes:
    try:
        return text.encode(charset, errors="replace")
    except (LookupError, TypeError, ValueError):
        return text.encode("utf-8", errors="surrogatepass")


def _multipart(draw, pairs: list[tuple[str, str]], boundary: str, charset: str) -> bytes:
    chunks = []
    for name, text in pairs:
        disposition = f'form-data; name="{name}"'
        if draw(st.booleans()):
            disposition += f'; filename="{draw(_text)}"'
        content = draw(st.binary(max_size=300)) if draw(st.booleans()) else _encode(text, charset)
        header = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n"
        chunks.append(_encode(header, charset) + content + b"\r\n")
    return b"".join(chunks) + f"--{boundary}--\r\n".encode()


@st.composite
def _form_payload(draw, names: list[str], csrf_token: str, real_values: list[str]):
    """A well-formed form (URL-encoded or multipart, UTF-8, with the CSRF token) of the page's
    own fields, holding hostile values: it gets past the parsing and reaches the view."""
    value = st.one_of(_hostile_value, st.sampled_from(real_values))
    pairs = draw(st.lists(st.tuples(st.sampled_from(names), value), max_size=8))
    if draw(st.integers(0, 4)):
        pairs.append(("csrfmiddlewaretoken", csrf_token))
    if draw(st.booleans()):
        charset = draw(st.sampled_from(["", "; charset=utf-8", "; charset=UTF-8"]))
        return "application/x-www-form-urlencoded" + charset, urlencode(pairs).encode()
    body = _multipart(draw, pairs, BOUNDARY, "utf-8")
    return f"multipart/form-data; boundary={BOUNDARY}", body


@st.composite
def _junk_payload(draw, names: list[str], charsets: list[str]):
    """Anything: random bytes, broken multipart, JSON, other charsets and content types."""
    content_type = draw(_junk_content_type(charsets))
    kind = draw(st.sampled_from(["bytes", "urlencoded", "multipart", "json", "empty"]))
    if kind == "bytes":
        return content_type, draw(st.binary(max_size=2000))
    if kind == "empty":
        return content_type, b""
    key = st.one_of(st.sampled_from(names), _text)
    pairs = draw(st.lists(st.tuples(key, _hostile_value), max_size=8))
    charset = _charset_of(content_type)
    if kind == "urlencoded":
        return content_type, _encode(urlencode(pairs), charset)
    if kind == "json":
        return content_type, _encode(json.dumps(dict(pairs)), charset)
    boundary = draw(st.sampled_from([BOUNDARY, BOUNDARY[:-1], "other"]))
    body = _multipart(draw, pairs, boundary, charset)
    return content_type, body[: draw(st.integers(min_value=0, max_value=len(body)))]


@st.composite
def _request(draw, site: Site, route: str, roles: list[str], charsets: list[str]) -> dict:
    hostile_path = draw(st.integers(0, 3)) == 0
    values = {}
    for name in _names(route):
        real = _real_value(site, route, name)
        values[name] = draw(_segment) if hostile_path and draw(st.booleans()) else real
    path = _path(route, values)
    if draw(st.booleans()):
        path += "?" + draw(
            st.one_of(
                st.lists(st.tuples(_text, _text), max_size=4).map(urlencode),
                st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E)),
                st.sampled_from(["next=%00", "sort=%00", "last_event_id=99999999999999999999"]),
            )
        )
    role = draw(st.sampled_from(roles))
    client = site.clients.get(role) or site.async_clients[role]
    csrf_cookie = client.cookies.get("csrftoken")
    csrf_token = csrf_cookie.value if csrf_cookie else ""
    names = _field_names(site, route)
    if draw(st.booleans()):
        method = draw(st.sampled_from(["POST", "POST", "POST", "PUT", "GET"]))
        content_type, body = draw(_form_payload(names, csrf_token, list(site.values.values())))
    else:
        method = draw(st.sampled_from(["GET", "POST", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"]))
        content_type, body = draw(_junk_payload(names, charsets))
    return {
        "role": role,
        "method": method,
        "path": path,
        "content_type": content_type,
        "body": body,
        "headers": draw(st.dictionaries(st.sampled_from(HEADERS), _header_text, max_size=4)),
        "enforce_csrf": draw(st.booleans()),
    }


def _describe(request: dict, status: int) -> str:
    shown = {k: v for k, v in request.items() if k != "body"}
    return f"{status} for {shown} body={request['body'][:200]!r}"


# --- The properties --------------------------------------------------------------------------

_settings = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}


@pytest.mark.parametrize("route", [route for _, route in ROUTES], ids=[i for i, _ in ROUTES])
def test_hostile_input_never_gets_a_server_error(site, route):
    # The upload endpoints under the admin are the project's own views, not generic ones.
    generic_admin = route.startswith("admin/") and "/uploads/" not in route
    examples = ADMIN_EXAMPLES if generic_admin else EXAMPLES

    @hypothesis_settings(max_examples=examples, **_settings)
    @given(data=st.data())
    def probe(data):
        site.ready()
        request = data.draw(_request(site, route, list(site.clients), CHARSETS))
        client = site.clients[request["role"]]
        client.handler.enforce_csrf_checks = request["enforce_csrf"]
        response = client.generic(
            request["method"],
            request["path"],
            data=request["body"],
            content_type=request["content_type"],
            headers=request["headers"],
        )
        assert response.status_code < 500, _describe(request, response.status_code)

    probe()


def test_hostile_input_routes_cover_the_whole_app():
    """The walk above found every app's pages and the admin, not a handful."""
    prefixes = {route.split("/")[0] for _, route in ROUTES}

    assert {"admin", "conferences", "me", "moderate", "r", "language", "staff"} <= prefixes
    assert len(ROUTES) > 150


_ASGI_ROUTES = [(i, route) for i, route in ROUTES if not route.startswith("admin/")]


@pytest.mark.parametrize(
    "route", [route for _, route in _ASGI_ROUTES], ids=[i for i, _ in _ASGI_ROUTES]
)
def test_hostile_input_under_asgi_never_gets_a_server_error(site, route):
    @hypothesis_settings(max_examples=ASGI_EXAMPLES, **_settings)
    @given(data=st.data())
    def probe(data):
        site.ready()
        request = data.draw(
            _request(site, route, list(site.async_clients), CHARSETS + NON_TEXT_CHARSETS)
        )
        client = site.async_clients[request["role"]]
        client.handler.enforce_csrf_checks = request["enforce_csrf"]

        async def send():
            return await client.generic(
                request["method"],
                request["path"],
                data=request["body"],
                # The test client writes this header as ASCII (a server passes Latin-1 bytes).
                content_type=request["content_type"].encode("ascii", "ignore").decode(),
                headers=request["headers"],
            )

        response = async_to_sync(send)()
        assert response.status_code < 500, _describe(request, response.status_code)

    probe()


def test_hostile_input_answer_digest_cannot_be_added_in_the_admin(roles):
    """Found by the property above: the digest's add form had no fields (all read-only), and
    saving it broke the NOT NULL constraint on the conference: a 500."""
    client = Client(headers={"accept-language": "en"})
    client.force_login(make_moderator())

    response = client.post("/admin/qa/answerdigest/add/", {})

    assert response.status_code == 403
    assert "<h1>Access denied</h1>" in response.content.decode()
    assert AnswerDigest.objects.count() == 0


def test_hostile_input_direct_upload_refuses_a_form_body(settings, s3_endpoint, roles):
    """Found by the property above: a multipart form posted to the direct-upload endpoints was
    parsed by the CSRF check, and reading the body as JSON afterwards was a 500."""
    _use_s3(settings, s3_endpoint)
    staff = make_user(superuser=True)
    client = Client(headers={"accept-language": "en"})
    client.force_login(staff)
    upload = start_direct_upload(
        owner=staff, kind=UploadKind.DOCUMENT, length=UPLOAD_LENGTH, filename="a.pdf"
    )
    base = "/admin/conferences/document/uploads/direct/"

    created = client.post(base, {"length": "10", "filename": "a.pdf"})
    signed = client.post(f"{base}{upload.pk}/sign/", {"parts": "1"})

    assert created.status_code == 400
    assert created.json() == {"error": "The size of the file is missing."}
    assert signed.status_code == 400
    assert signed.json() == {"error": "Ask for parts between 1 and 1."}
    assert Upload.objects.filter(owner=staff).count() == 1
