"""Admin of the information package: recordings (with captions and chapters), presentation
documents, written clarifications and the read-only changelog.

Publishing and withdrawing go through ``conferences.package.publishing`` (buttons on each item's
page, and list actions); published items are read-only, so what was published stays as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from dialogkonferanse.audit.log import AuditedAdminMixin
from dialogkonferanse.common.admin_mixins import (
    ChangePageContextMixin,
    ReadOnlyAdminMixin,
    admin_pages,
)

from ..choices import UploadKind
from ..exceptions import ConferenceError
from ..models import Caption, Chapter, Clarification, Document, PackageChange, Recording
from ..package.publishing import (
    publish_clarification,
    publish_document,
    publish_recording,
    save_clarification,
    save_document,
    save_recording,
    unpublish_clarification,
    unpublish_document,
    unpublish_recording,
)
from ..package.stored_files import delete_files_on_commit, file_field_of, stored_file_names
from .uploads import (
    DOCUMENT_ACCEPT,
    VIDEO_ACCEPT,
    ResumableFileInput,
    ResumableUploadAdminMixin,
    ResumableUploadFormMixin,
)


class PublishedFilter(admin.SimpleListFilter):
    title = _("published")
    parameter_name = "published"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Published")), ("no", _("Not published"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(published_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(published_at__isnull=True)
        return queryset


class PublishForm(forms.Form):
    caption_override_reason = forms.CharField(
        label=_("Reason for publishing without captions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_(
            "Only when the recording has no captions (universal design: captions first). "
            "The reason is recorded and shown with the recording."
        ),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for withdrawing"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Shown in the public changelog."),
    )


class PublishingAdmin(ChangePageContextMixin, AuditedAdminMixin, TranslationAdmin):
    """Publish/withdraw buttons (with a confirmation page) and list actions."""

    actions = ("publish_selected", "withdraw_selected")
    change_form_template = "admin/conferences/package_change_form.html"
    #: The fields that stay editable after publication.
    editable_when_published: tuple[str, ...] = ()

    def publish(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def withdraw(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.published_at is not None:
            for field in self.model._meta.get_fields():
                name = getattr(field, "name", "")
                editable = getattr(field, "editable", False) and not field.auto_created
                if editable and name not in self.editable_when_published and name not in readonly:
                    readonly.append(name)
        return readonly

    def get_urls(self) -> list[Any]:
        return [
            *admin_pages(
                self,
                ("<int:object_id>/publish/", self.publish_view, "publish"),
                ("<int:object_id>/withdraw/", self.withdraw_view, "withdraw"),
            ),
            *super().get_urls(),
        ]

    def change_page_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        if not self.has_change_permission(request, obj):
            return {}
        info = self.model._meta.app_label, self.model._meta.model_name
        action = "withdraw" if obj.published_at is not None else "publish"
        return {
            "publish_action": {
                "label": gettext("Withdraw from the package…")
                if action == "withdraw"
                else gettext("Publish…"),
                "url": reverse("admin:{}_{}_{}".format(*info, action), args=[obj.pk]),
            },
            "package_url": reverse("conferences:package", kwargs={"slug": obj.conference.slug}),
        }

    def _confirm_view(
        self,
        request: HttpRequest,
        object_id: int,
        *,
        form_class: type[forms.Form],
        run: Callable[[HttpRequest, Any, dict[str, Any]], Any],
        title: str,
        done: str,
        publishing: bool,
    ) -> HttpResponse:
        obj = get_object_or_404(self.model, pk=object_id)
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        info = self.model._meta.app_label, self.model._meta.model_name
        change_url = reverse("admin:{}_{}_change".format(*info), args=[obj.pk])
        form = form_class(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                run(request, obj, form.cleaned_data)
            except ConferenceError as exc:
                self.message_user(request, str(exc), level=messages.ERROR)
            else:
                self.message_user(request, done % {"title": str(obj)}, level=messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "form": form,
            "change_url": change_url,
            "publishing": publishing,
            "needs_captions": publishing
            and isinstance(obj, Recording)
            and not obj.captions.exists(),
            "title": title % {"title": str(obj)},
        }
        return TemplateResponse(request, "admin/conferences/publish.html", context)

    def publish_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        return self._confirm_view(
            request,
            object_id,
            form_class=PublishForm if self.model is Recording else forms.Form,
            run=self.publish,
            title=gettext("Publish “%(title)s” in the information package"),
            done=gettext("“%(title)s” is published in the information package."),
            publishing=True,
        )

    def withdraw_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        return self._confirm_view(
            request,
            object_id,
            form_class=WithdrawForm,
            run=self.withdraw,
            title=gettext("Withdraw “%(title)s” from the information package"),
            done=gettext("“%(title)s” is withdrawn; the withdrawal is in the changelog."),
            publishing=False,
        )

    def _run_action(
        self, request: HttpRequest, queryset: QuerySet, run: Callable[..., Any], done: str
    ) -> None:
        succeeded = 0
        for obj in queryset.order_by("pk"):
            try:
                run(request, obj, {})
            except ConferenceError as exc:
                self.message_user(request, str(exc), level=messages.ERROR)
            else:
                succeeded += 1
        if succeeded:
            self.message_user(request, done % {"count": succeeded}, level=messages.SUCCESS)

    @admin.action(description=_("Publish the selected items"))
    def publish_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._run_action(
            request,
            queryset.filter(published_at__isnull=True),
            self.publish,
            gettext("Published: %(count)d."),
        )

    @admin.action(description=_("Withdraw the selected items from the package"))
    def withdraw_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._run_action(
            request,
            queryset.filter(published_at__isnull=False),
            self.withdraw,
            gettext("Withdrawn: %(count)d."),
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A published item is withdrawn, never deleted: the changelog refers to it.
        if obj is not None and obj.published_at is not None:
            return False
        return super().has_delete_permission(request, obj)

    # Deleting an item deletes its files from storage once the deletion has committed (a
    # failed delete is retried by the task; the deletion itself never waits for the storage).
    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            names = stored_file_names(obj)
            super().delete_model(request, obj)
            delete_files_on_commit(names)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        with transaction.atomic():
            names = [name for obj in queryset for name in stored_file_names(obj)]
            super().delete_queryset(request, queryset)
            delete_files_on_commit(names)

    @admin.display(description=_("SHA-256"))
    def sha256_or_pending(self, obj: Any) -> str:
        if obj is not None and obj.sha256:
            return obj.sha256
        if obj is not None and file_field_of(obj):
            return gettext("Pending: computed from the stored file in a moment.")
        return "—"


class _LockedWhenPublishedInline(admin.TabularInline):
    extra = 0

    def _parent_published(self, obj: Model | None) -> bool:
        return obj is not None and getattr(obj, "published_at", None) is not None

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._parent_published(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._parent_published(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._parent_published(obj) and super().has_delete_permission(request, obj)


class CaptionInline(_LockedWhenPublishedInline):
    model = Caption
    extra = 1
    fields = ("language", "file")


class ChapterInline(_LockedWhenPublishedInline, TranslationTabularInline):
    model = Chapter
    extra = 1
    fields = ("start", "title")


class RecordingAdminForm(ResumableUploadFormMixin, forms.ModelForm):
    """The video arrives as a resumable upload (the picker accepts MP4 and WebM only; the
    server judges the bytes); its SHA-256 and duration come with it."""

    upload_file_field = "video_file"
    upload_kind = UploadKind.RECORDING

    class Meta:
        model = Recording
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose what is shown
        widgets = {"video_file": ResumableFileInput(kind=UploadKind.RECORDING, accept=VIDEO_ACCEPT)}


class DocumentAdminForm(ResumableUploadFormMixin, forms.ModelForm):
    upload_file_field = "file"
    upload_kind = UploadKind.DOCUMENT

    class Meta:
        model = Document
        fields = "__all__"  # noqa: DJ007 - the admin's fields choose what is shown
        widgets = {"file": ResumableFileInput(kind=UploadKind.DOCUMENT, accept=DOCUMENT_ACCEPT)}


@admin.register(Recording)
class RecordingAdmin(ResumableUploadAdminMixin, PublishingAdmin):
    form = RecordingAdminForm
    upload_kind = UploadKind.RECORDING
    list_display = (
        "title",
        "conference",
        "order",
        "source",
        "caption_languages",
        "duration",
        "published_at",
    )
    list_filter = (PublishedFilter, "conference", "provider")
    list_select_related = ("conference",)
    search_fields = ("title_nb", "title_nn", "title_en", "conference__title_nb", "sha256")
    ordering = ("conference", "order", "pk")
    inlines = (CaptionInline, ChapterInline)
    editable_when_published = ("order",)
    readonly_fields = (
        "content_type",
        "size",
        "sha256_or_pending",
        "published_at",
        "published_by",
        "caption_override_reason",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("conference", "title", "order")}),
        (
            _("Video"),
            {
                "fields": ("video_file", "external_url", "provider", "duration"),
                "description": _(
                    "Upload an MP4 or WebM file, or enter the address of the recording at "
                    "YouTube, Vimeo or an HLS stream."
                ),
            },
        ),
        (_("Contents"), {"fields": ("recorded_started_at", "transcript")}),
        (
            _("Publication and evidence"),
            {
                "fields": (
                    "published_at",
                    "published_by",
                    "caption_override_reason",
                    "sha256_or_pending",
                    "size",
                    "content_type",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Recording]:
        return super().get_queryset(request).prefetch_related("captions")

    @admin.display(description=_("source"))
    def source(self, obj: Recording) -> str:
        return gettext("Uploaded file") if obj.is_uploaded else obj.get_provider_display()

    @admin.display(description=_("captions"))
    def caption_languages(self, obj: Recording) -> str:
        return ", ".join(c.language for c in obj.captions.all()) or "—"

    def save_with_digest(
        self, request: HttpRequest, obj: Recording, form: Any, *, digest: tuple[str, int] | None
    ) -> None:
        save_recording(recording=obj, changed_fields=set(form.changed_data), digest=digest)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Caption:
            return super().save_formset(request, form, formset, change)
        # Caption files removed or replaced are deleted from storage after commit.
        deleted = [f for f in formset.deleted_forms if f.instance.pk is not None]
        replaced = [
            f.instance.pk
            for f in formset.initial_forms
            if f.instance.pk is not None and "file" in f.changed_data and f not in deleted
        ]
        names = [f.instance.file.name for f in deleted]
        names += Caption.objects.filter(pk__in=replaced).values_list("file", flat=True)
        super().save_formset(request, form, formset, change)
        delete_files_on_commit(names)
        return None

    def publish(self, request: HttpRequest, obj: Recording, data: dict[str, Any]) -> Recording:
        return publish_recording(
            recording_id=obj.pk,
            actor=request.user,  # type: ignore[arg-type]
            caption_override_reason=data.get("caption_override_reason", ""),
        )

    def withdraw(self, request: HttpRequest, obj: Recording, data: dict[str, Any]) -> Recording:
        return unpublish_recording(
            recording_id=obj.pk,
            actor=request.user,  # type: ignore[arg-type]
            reason=data.get("reason", ""),
        )


@admin.register(Document)
class DocumentAdmin(ResumableUploadAdminMixin, PublishingAdmin):
    form = DocumentAdminForm
    upload_kind = UploadKind.DOCUMENT
    list_display = ("title", "conference", "order", "size", "published_at")
    list_filter = (PublishedFilter, "conference")
    list_select_related = ("conference",)
    search_fields = ("title_nb", "title_nn", "title_en", "conference__title_nb", "sha256")
    editable_when_published = ("order",)
    readonly_fields = ("size", "sha256_or_pending", "published_at", "published_by", "created_at")
    fields = (
        "conference",
        "title",
        "order",
        "file",
        "size",
        "sha256_or_pending",
        "published_at",
        "published_by",
        "created_at",
    )

    def save_with_digest(
        self, request: HttpRequest, obj: Document, form: Any, *, digest: tuple[str, int] | None
    ) -> None:
        save_document(document=obj, changed_fields=set(form.changed_data), digest=digest)

    def publish(self, request: HttpRequest, obj: Document, data: dict[str, Any]) -> Document:
        return publish_document(document_id=obj.pk, actor=request.user)  # type: ignore[arg-type]

    def withdraw(self, request: HttpRequest, obj: Document, data: dict[str, Any]) -> Document:
        return unpublish_document(
            document_id=obj.pk,
            actor=request.user,  # type: ignore[arg-type]
            reason=data.get("reason", ""),
        )


@admin.register(Clarification)
class ClarificationAdmin(PublishingAdmin):
    list_display = ("title", "conference", "published_at")
    list_filter = (PublishedFilter, "conference")
    list_select_related = ("conference",)
    search_fields = ("title_nb", "title_nn", "title_en", "text_nb", "conference__title_nb")
    readonly_fields = ("published_at", "published_by", "created_at", "updated_at")
    fields = (
        "conference",
        "title",
        "text",
        "published_at",
        "published_by",
        "created_at",
        "updated_at",
    )

    def save_model(self, request: HttpRequest, obj: Clarification, form: Any, change: bool) -> None:
        save_clarification(clarification=obj)

    def publish(
        self, request: HttpRequest, obj: Clarification, data: dict[str, Any]
    ) -> Clarification:
        return publish_clarification(
            clarification_id=obj.pk,
            actor=request.user,  # type: ignore[arg-type]
        )

    def withdraw(
        self, request: HttpRequest, obj: Clarification, data: dict[str, Any]
    ) -> Clarification:
        return unpublish_clarification(
            clarification_id=obj.pk,
            actor=request.user,  # type: ignore[arg-type]
            reason=data.get("reason", ""),
        )


@admin.register(PackageChange)
class PackageChangeAdmin(ReadOnlyAdminMixin, TranslationAdmin):
    """The changelog: written only by the publish services, never edited."""

    list_display = ("changed_at", "conference", "action", "item_kind", "title", "changed_by")
    list_filter = ("action", "item_kind", "conference")
    list_select_related = ("conference", "changed_by")
    # Every language's title (a plain name searches only the admin's own language).
    search_fields = ("title_nb", "title_nn", "title_en", "sha256", "note")
    date_hierarchy = "changed_at"
