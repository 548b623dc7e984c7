"""Resumable uploads in the admin: the tus 1.0 core protocol (plus termination) for the recording
and document forms, the upload widget and the form mixin that attaches a completed upload.

Endpoints, under each admin (``…/recording/uploads/`` and ``…/document/uploads/``), behind the
admin's login, staff check and CSRF protection:

- ``POST uploads/`` with ``Upload-Length`` and ``Upload-Metadata`` → 201 and ``Location``;
- ``HEAD uploads/<id>/`` → ``Upload-Offset`` (where to resume);
- ``PATCH uploads/<id>/`` with ``Upload-Offset`` and the bytes → 204 and the new offset;
- ``DELETE uploads/<id>/`` → 204 (cancel); ``GET uploads/<id>/`` → JSON (name, SHA-256, duration).

Only the staff user who started an upload can touch it.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse, RawPostDataException
from django.urls import reverse
from django.utils.duration import duration_string
from django.utils.translation import gettext

from dialogkonferanse.common.admin_mixins import admin_pages
from dialogkonferanse.common.asgi import transfers_file

from ..choices import UploadKind
from ..models import Upload
from ..services.direct_uploads import (
    DirectUploadFile,
    complete_direct_upload,
    direct_uploads_enabled,
    part_size,
    place_direct_upload,
    sign_parts,
    start_direct_upload,
    stored_parts,
)
from ..services.uploads import (
    CompletedUpload,
    UploadError,
    UploadNotFound,
    append_chunk,
    attachable_upload,
    cancel_upload,
    consume_upload,
    get_upload,
    max_upload_bytes,
    start_upload,
)

TUS_VERSION = "1.0.0"
VIDEO_ACCEPT = "video/mp4,video/webm,.mp4,.webm"
DOCUMENT_ACCEPT = "application/pdf,.pdf"


def _tus(response: HttpResponse) -> HttpResponse:
    response["Tus-Resumable"] = TUS_VERSION
    response["Cache-Control"] = "no-store"
    return response


def _text(message: str, status: int) -> HttpResponse:
    """A refusal the uploader shows as it is: plain text, with the tus headers."""
    return _tus(HttpResponse(message, status=status, content_type="text/plain; charset=utf-8"))


def _error(exc: UploadError) -> HttpResponse:
    return _text(str(exc), exc.status)


def _int_header(request: HttpRequest, name: str) -> int | None:
    value = request.headers.get(name, "")
    return int(value) if value.isascii() and value.isdigit() else None


def _metadata(request: HttpRequest) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64(value)`` pairs."""
    result = {}
    for pair in request.headers.get("Upload-Metadata", "").split(","):
        key, _sep, value = pair.strip().partition(" ")
        try:
            result[key] = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            result[key] = ""
    return result


def _json_object(request: HttpRequest) -> dict[str, Any]:
    """The JSON object the request carries, or ``{}``. Only a JSON body is read: a form body
    was already parsed by the CSRF check and cannot be read again."""
    if request.content_type != "application/json":
        return {}
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, RawPostDataException):
        return {}
    return data if isinstance(data, dict) else {}


def upload_info(upload: Upload) -> dict[str, Any]:
    duration_message = ""
    if upload.is_direct and upload.is_complete:
        # No byte passed through this server: a task reads them back once the form is saved.
        duration_message = (
            gettext(
                "The duration and the SHA-256 are read from the stored file after you save; "
                "leave the duration empty to have it filled in."
            )
            if upload.kind == UploadKind.RECORDING
            else gettext("The SHA-256 is computed from the stored file after you save.")
        )
    elif upload.kind == UploadKind.RECORDING and upload.is_complete and upload.duration is None:
        duration_message = gettext(
            "The duration could not be read from the file. Enter it yourself, for example 1:32:10."
        )
    return {
        "id": str(upload.pk),
        "filename": upload.filename,
        "length": upload.length,
        "offset": upload.offset,
        "complete": upload.is_complete,
        "sha256": upload.sha256,
        "duration": duration_string(upload.duration) if upload.duration is not None else "",
        "duration_message": duration_message,
    }


class ResumableUploadAdminMixin:
    """Adds the upload endpoints to a ModelAdmin; ``upload_kind`` says what they accept."""

    upload_kind: str = UploadKind.RECORDING

    def _upload_permission(self, request: HttpRequest) -> None:
        if not (self.has_add_permission(request) or self.has_change_permission(request)):  # type: ignore[attr-defined]
            raise PermissionDenied

    def get_urls(self) -> list[Any]:
        return [
            *admin_pages(
                self,
                ("uploads/direct/", self.direct_create_view, "direct_create"),
                ("uploads/direct/<str:upload_id>/", self.direct_view, "direct"),
                ("uploads/direct/<str:upload_id>/sign/", self.direct_sign_view, "direct_sign"),
                (
                    "uploads/direct/<str:upload_id>/complete/",
                    self.direct_complete_view,
                    "direct_complete",
                ),
                ("uploads/", self.upload_create_view, "upload_create"),
                ("uploads/<str:upload_id>/", self.upload_view, "upload"),
            ),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def upload_create_view(self, request: HttpRequest) -> HttpResponse:
        self._upload_permission(request)
        if request.method == "OPTIONS":
            return self._options()
        if request.method != "POST":
            return _tus(HttpResponse(status=405, headers={"Allow": "POST, OPTIONS"}))
        length = _int_header(request, "Upload-Length")
        if length is None:
            return _text(gettext("The size of the file is missing."), 400)
        try:
            upload = start_upload(
                owner=request.user,  # type: ignore[arg-type]
                kind=self.upload_kind,
                length=length,
                filename=_metadata(request).get("filename", ""),
            )
        except UploadError as exc:
            return _error(exc)
        info = self.model._meta.app_label, self.model._meta.model_name  # type: ignore[attr-defined]
        location = reverse(
            "admin:{}_{}_upload".format(*info),
            kwargs={"upload_id": upload.pk},
            current_app=self.admin_site.name,  # type: ignore[attr-defined]
        )
        return _tus(HttpResponse(status=201, headers={"Location": location}))

    @transfers_file
    def upload_view(self, request: HttpRequest, upload_id: str) -> HttpResponse:
        self._upload_permission(request)
        user = request.user
        try:
            if request.method == "OPTIONS":
                return self._options()
            if request.method in ("HEAD", "GET"):
                upload = get_upload(upload_id=upload_id, owner=user, kind=self.upload_kind)  # type: ignore[arg-type]
                if request.method == "GET":
                    return _tus(JsonResponse(upload_info(upload)))
                return _tus(
                    HttpResponse(
                        headers={
                            "Upload-Offset": str(upload.offset),
                            "Upload-Length": str(upload.length),
                        }
                    )
                )
            if request.method == "PATCH":
                return self._patch(request, upload_id)
            if request.method == "DELETE":
                get_upload(upload_id=upload_id, owner=user, kind=self.upload_kind)  # type: ignore[arg-type]
                cancel_upload(upload_id=upload_id, owner=user)  # type: ignore[arg-type]
                return _tus(HttpResponse(status=204))
        except UploadError as exc:
            return _error(exc)
        return _tus(HttpResponse(status=405, headers={"Allow": "GET, HEAD, PATCH, DELETE"}))

    def _patch(self, request: HttpRequest, upload_id: str) -> HttpResponse:
        if request.content_type != "application/offset+octet-stream":
            return _text(gettext("Send the bytes as application/offset+octet-stream."), 415)
        offset = _int_header(request, "Upload-Offset")
        if offset is None:
            return _text(gettext("The offset of the chunk is missing."), 400)
        # The kind is checked before a byte is written: one admin's endpoint never writes
        # another kind's upload.
        get_upload(upload_id=upload_id, owner=request.user, kind=self.upload_kind)  # type: ignore[arg-type]
        length = request.META.get("CONTENT_LENGTH") or ""
        upload = append_chunk(
            upload_id=upload_id,
            owner=request.user,  # type: ignore[arg-type]
            offset=offset,
            stream=request,  # type: ignore[arg-type]
            content_length=int(length) if length.isdigit() else None,
        )
        return _tus(HttpResponse(status=204, headers={"Upload-Offset": str(upload.offset)}))

    def _options(self) -> HttpResponse:
        return _tus(
            HttpResponse(
                status=204,
                headers={
                    "Tus-Version": TUS_VERSION,
                    "Tus-Extension": "creation,termination",
                    "Tus-Max-Size": str(max_upload_bytes(self.upload_kind)),
                },
            )
        )

    # --- Direct to S3-compatible storage (presigned multipart) -----------------------------

    def _direct_allowed(self, request: HttpRequest, method: str) -> HttpResponse | None:
        self._upload_permission(request)
        if not direct_uploads_enabled():
            return JsonResponse({"error": gettext("Direct uploads are off.")}, status=404)
        if request.method != method:
            return JsonResponse({"error": gettext("Method not allowed.")}, status=405)
        return None

    def _direct_info(self, request: HttpRequest, upload: Upload) -> dict[str, Any]:
        info = self.model._meta.app_label, self.model._meta.model_name  # type: ignore[attr-defined]
        url = reverse(
            "admin:{}_{}_direct".format(*info),
            kwargs={"upload_id": upload.pk},
            current_app=self.admin_site.name,  # type: ignore[attr-defined]
        )
        return {
            **upload_info(upload),
            "url": url,
            "sign_url": url + "sign/",
            "complete_url": url + "complete/",
            "part_size": part_size(upload),
            "parts": [{"number": p["PartNumber"], "size": p["Size"]} for p in stored_parts(upload)],
        }

    def direct_create_view(self, request: HttpRequest) -> HttpResponse:
        refused = self._direct_allowed(request, "POST")
        if refused is not None:
            return refused
        data = _json_object(request)
        try:
            length = int(data.get("length"))
        except (ValueError, TypeError, OverflowError):
            return JsonResponse({"error": gettext("The size of the file is missing.")}, status=400)
        try:
            upload = start_direct_upload(
                owner=request.user,  # type: ignore[arg-type]
                kind=self.upload_kind,
                length=length,
                filename=str(data.get("filename", "")),
            )
        except UploadError as exc:
            return JsonResponse({"error": str(exc)}, status=exc.status)
        return JsonResponse(self._direct_info(request, upload), status=201)

    def direct_view(self, request: HttpRequest, upload_id: str) -> HttpResponse:
        self._upload_permission(request)
        if not direct_uploads_enabled():
            return JsonResponse({"error": gettext("Direct uploads are off.")}, status=404)
        user = request.user
        try:
            upload = get_upload(upload_id=upload_id, owner=user, kind=self.upload_kind)  # type: ignore[arg-type]
            if request.method == "GET":
                return JsonResponse(self._direct_info(request, upload))
            if request.method == "DELETE":
                cancel_upload(upload_id=upload.pk, owner=user)  # type: ignore[arg-type]
                return HttpResponse(status=204)
        except UploadError as exc:
            return JsonResponse({"error": str(exc)}, status=exc.status)
        return JsonResponse({"error": gettext("Method not allowed.")}, status=405)

    def direct_sign_view(self, request: HttpRequest, upload_id: str) -> HttpResponse:
        refused = self._direct_allowed(request, "POST")
        if refused is not None:
            return refused
        try:
            numbers = [int(n) for n in _json_object(request).get("parts", [])]
        except (ValueError, TypeError, OverflowError):
            numbers = []
        try:
            urls = sign_parts(
                upload_id=upload_id,
                owner=request.user,  # type: ignore[arg-type]
                kind=self.upload_kind,
                numbers=numbers,
            )
        except UploadError as exc:
            return JsonResponse({"error": str(exc)}, status=exc.status)
        return JsonResponse({"urls": {str(n): url for n, url in urls.items()}})

    def direct_complete_view(self, request: HttpRequest, upload_id: str) -> HttpResponse:
        refused = self._direct_allowed(request, "POST")
        if refused is not None:
            return refused
        try:
            upload = complete_direct_upload(
                upload_id=upload_id,
                owner=request.user,  # type: ignore[arg-type]
                kind=self.upload_kind,
            )
        except UploadError as exc:
            return JsonResponse({"error": str(exc)}, status=exc.status)
        return JsonResponse(self._direct_info(request, upload))

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)  # type: ignore[misc]
        info = self.model._meta.app_label, self.model._meta.model_name  # type: ignore[attr-defined]
        name = "direct_create" if direct_uploads_enabled() else "upload_create"
        endpoint = reverse(
            "admin:{}_{}_{}".format(*info, name),
            current_app=self.admin_site.name,  # type: ignore[attr-defined]
        )
        # A subclass per request: the form needs to know whose uploads it may attach.
        return type(
            form.__name__,
            (form,),
            {"upload_owner": request.user, "upload_endpoint": endpoint},
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        completed = getattr(form, "completed_upload", None)
        digest = (completed.upload.sha256, completed.upload.length) if completed else None
        if isinstance(completed, DirectUploadFile):
            # The object is already in the bucket: copy it to its final name there instead of
            # letting the model field upload the validators' copy of its first bytes.
            field_name = form.upload_file_field
            field = obj._meta.get_field(field_name)
            name = field.generate_filename(obj, completed.upload.filename)
            setattr(obj, field_name, place_direct_upload(upload=completed.upload, name=name))
        self.save_with_digest(request, obj, form, digest=digest)
        if completed is not None:
            consume_upload(upload=completed.upload, file=completed)

    def save_with_digest(
        self, request: HttpRequest, obj: Any, form: Any, *, digest: tuple[str, int] | None
    ) -> None:
        raise NotImplementedError


class ResumableFileInput(forms.ClearableFileInput):
    """The file picker with a resumable upload behind it (static/conferences/upload.js): progress,
    speed, time left, cancel and resume. Without JavaScript the picker posts the file as before.
    A completed upload is kept in a hidden field, so a form error never loses it."""

    template_name = "conferences/widgets/resumable_upload.html"

    def __init__(self, *, kind: str, accept: str, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"accept": accept, **(attrs or {})})
        self.kind = kind
        self.endpoint = ""
        self.upload: Upload | None = None

    class Media:
        js = ("vendor/tus-js-client/tus.min.js", "conferences/upload.js")
        css = {"all": ("conferences/upload.css",)}

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"].update(
            {
                "upload_name": f"{name}_upload",
                "upload": self.upload,
                "endpoint": self.endpoint,
                "kind": self.kind,
                "chunk_size": settings.UPLOAD_CHUNK_BYTES,
                "max_size": max_upload_bytes(self.kind),
                "is_recording": self.kind == UploadKind.RECORDING,
                "direct": direct_uploads_enabled(),
            }
        )
        return context


class ResumableUploadFormMixin:
    """For a ModelForm whose ``upload_file_field`` may be filled from a completed upload
    (``<field>_upload`` holds its id)."""

    upload_file_field = "video_file"
    upload_kind = UploadKind.RECORDING
    upload_owner: Any = None
    upload_endpoint = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self.completed_upload: CompletedUpload | DirectUploadFile | None = None
        field = self.fields.get(self.upload_file_field)  # type: ignore[attr-defined]
        if field is None:
            return
        widget = field.widget
        if isinstance(widget, ResumableFileInput):
            widget.endpoint = self.upload_endpoint
            upload_id = self.data.get(self._upload_key(), "") if self.is_bound else ""  # type: ignore[attr-defined]
            if upload_id:
                # The file comes from the upload (clean() attaches it), not from the picker.
                field.required = False
            if upload_id and self.upload_owner is not None:
                try:
                    widget.upload = get_upload(
                        upload_id=upload_id, owner=self.upload_owner, kind=self.upload_kind
                    )
                except UploadNotFound:
                    widget.upload = None

    def _upload_key(self) -> str:
        return self.add_prefix(f"{self.upload_file_field}_upload")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()  # type: ignore[misc]
        upload_id = self.data.get(self._upload_key(), "")  # type: ignore[attr-defined]
        if not upload_id or self.files.get(self.add_prefix(self.upload_file_field)):  # type: ignore[attr-defined]
            return cleaned
        try:
            upload = attachable_upload(
                upload_id=upload_id, owner=self.upload_owner, kind=self.upload_kind
            )
        except UploadError as exc:
            self.add_error(self.upload_file_field, str(exc))  # type: ignore[attr-defined]
            return cleaned
        self.completed_upload = (
            DirectUploadFile(upload) if upload.is_direct else CompletedUpload(upload)
        )
        cleaned[self.upload_file_field] = self.completed_upload
        if "duration" in self.fields and not cleaned.get("duration") and upload.duration:  # type: ignore[attr-defined]
            cleaned["duration"] = upload.duration
        return cleaned

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]
        if self.completed_upload is not None and self.errors:  # type: ignore[attr-defined]
            # The upload stays (its id is in the re-rendered form); only the handle closes.
            self.completed_upload.close()

    @property
    def changed_data(self) -> list[str]:
        data = list(super().changed_data)  # type: ignore[misc]
        if self.completed_upload is not None and self.upload_file_field not in data:
            data.append(self.upload_file_field)
        return data
