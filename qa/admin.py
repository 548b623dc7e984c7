"""Procurement staff's view of the Q&A in the admin: read-mostly, for the record. Moderation
happens on the dashboard (qa.views), whose services keep versions and live updates right."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationStackedInline

from dialogkonferanse.audit.log import AuditedAdminMixin
from dialogkonferanse.common.admin_mixins import NoAddAdminMixin, NoAddOrDeleteAdminMixin

from .models import Answer, AnswerDigest, Attendance, LiveEvent, Question


class AnswerInline(TranslationStackedInline):
    model = Answer
    extra = 0
    can_delete = False
    readonly_fields = ("text", "author", "published_at", "digest")


@admin.register(Question)
class QuestionAdmin(NoAddOrDeleteAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "pk",
        "conference",
        "short_text",
        "status",
        "vote_count",
        "registration",
        "created_at",
    )
    list_filter = ("status", "answered_live", "pinned", "conference")
    search_fields = ("text", "original_text", "registration__organisation_name", "topics")
    list_select_related = ("conference", "registration")
    inlines = (AnswerInline,)
    readonly_fields = [f.name for f in Question._meta.fields]

    @admin.display(description=_("question"))
    def short_text(self, obj: Question) -> str:
        return obj.text[:80]


@admin.register(Attendance)
class AttendanceAdmin(NoAddAdminMixin, admin.ModelAdmin):
    list_display = ("registration", "conference", "first_seen_at", "last_seen_at", "visits")
    list_filter = ("conference",)
    list_select_related = ("registration", "conference")
    readonly_fields = ("registration", "conference", "first_seen_at", "last_seen_at", "visits")


@admin.register(AnswerDigest)
class AnswerDigestAdmin(NoAddAdminMixin, admin.ModelAdmin):
    # A record of a digest sent from the moderator dashboard; there is nothing to fill in.
    list_display = ("conference", "created_at", "sent_by", "recipients")
    list_select_related = ("conference", "sent_by")
    readonly_fields = ("conference", "sent_by", "recipients", "created_at")


@admin.register(LiveEvent)
class LiveEventAdmin(NoAddAdminMixin, admin.ModelAdmin):
    list_display = ("id", "conference", "channel", "kind", "created_at")
    list_filter = ("conference", "channel", "kind")
    list_select_related = ("conference",)
    # The fastest-growing table: no full COUNT(*) on every page.
    show_full_result_count = False
    readonly_fields = ("conference", "channel", "kind", "payload", "frame_data", "created_at")
