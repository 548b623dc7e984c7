"""Admin for the email outbox: procurement staff see every email, its state and its error."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from dialogkonferanse.audit.log import AuditedAdminMixin
from dialogkonferanse.common.admin_mixins import NoAddOrDeleteAdminMixin, admin_pages
from dialogkonferanse.models import OutboundAttachment, OutboundEmail
from dialogkonferanse.outbox.queue import failed_with_secret, requeue_failed_emails


def _secret_not_requeued(count: int) -> str:
    return ngettext(
        "%(count)d email held a personal link, which was deleted when its delivery failed, so "
        "it cannot be sent again: send the supplier a new link from their registration.",
        "%(count)d emails held a personal link, which was deleted when their delivery failed, "
        "so they cannot be sent again: send the suppliers new links from their registrations.",
        count,
    ) % {"count": count}


class OutboundAttachmentInline(NoAddOrDeleteAdminMixin, admin.TabularInline):
    model = OutboundAttachment
    extra = 0
    can_delete = False
    fields = ("filename", "mimetype", "size")
    readonly_fields = fields

    @admin.display(description=_("size (bytes)"))
    def size(self, obj: OutboundAttachment) -> int:
        return len(obj.content or b"")


@admin.register(OutboundEmail)
class OutboundEmailAdmin(NoAddOrDeleteAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    # Never deleted: the outbox is part of the dialogue's documentation (DOMAIN.md rule 8).
    list_display = (
        "created_at",
        "to_email",
        "kind",
        "language",
        "subject",
        "status",
        "attempts",
        "sent_at",
        "conference",
    )
    list_filter = ("status", "kind", "language", "conference")
    list_select_related = ("conference",)
    search_fields = ("to_email", "subject")
    date_hierarchy = "created_at"
    show_full_result_count = False
    inlines = (OutboundAttachmentInline,)
    actions = ("requeue_failed",)
    fieldsets = (
        (None, {"fields": ("kind", "to_email", "reply_to", "language", "subject")}),
        (
            _("Delivery"),
            {
                "fields": (
                    "status",
                    "attempts",
                    "last_error",
                    "queued_at",
                    "next_attempt_at",
                    "sending_started_at",
                    "sent_at",
                    "idempotency_key",
                    "holds_secret",
                )
            },
        ),
        (_("Cause"), {"fields": ("conference", "registration")}),
        (_("Content"), {"fields": ("body_text", "body_html")}),
        (_("Record"), {"fields": ("created_at", "updated_at")}),
    )
    readonly_fields = (
        "kind",
        "to_email",
        "reply_to",
        "language",
        "subject",
        "status",
        "attempts",
        "last_error",
        "queued_at",
        "next_attempt_at",
        "sending_started_at",
        "sent_at",
        "idempotency_key",
        "holds_secret",
        "conference",
        "registration",
        "body_text",
        "body_html",
        "created_at",
        "updated_at",
    )

    def get_urls(self) -> list[Any]:
        return [
            *admin_pages(self, ("<int:object_id>/retry/", require_POST(self.retry_view), "retry")),
            *super().get_urls(),
        ]

    def retry_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Re-queue one failed email (POST; the conference dashboard's retry button), through
        the same audited service as the list action; back to ``next`` when it is ours."""
        email = get_object_or_404(
            OutboundEmail.objects.only("pk", "status", "to_email"), pk=object_id
        )
        if not self.has_change_permission(request, email):
            raise PermissionDenied
        if requeue_failed_emails(email_ids=[email.pk], actor=request.user):
            self.message_user(
                request,
                gettext("The email to %(recipient)s is queued to be sent again.")
                % {"recipient": email.to_email},
                messages.SUCCESS,
            )
        elif failed_with_secret([email.pk]):
            self.message_user(request, _secret_not_requeued(1), messages.WARNING)
        else:
            self.message_user(
                request,
                gettext("This email has not failed (it may have been re-queued already)."),
                messages.WARNING,
            )
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = reverse("admin:dialogkonferanse_outboundemail_change", args=[email.pk])
        return HttpResponseRedirect(target)

    @admin.action(description=_("Re-queue selected failed emails"), permissions=("change",))
    def requeue_failed(self, request: HttpRequest, queryset: QuerySet[OutboundEmail]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        with_secret = failed_with_secret(ids)
        count = requeue_failed_emails(email_ids=ids, actor=request.user)
        skipped = len(ids) - count - with_secret
        if with_secret:
            self.message_user(request, _secret_not_requeued(with_secret), messages.WARNING)
        self.message_user(
            request,
            ngettext("%(count)d email re-queued.", "%(count)d emails re-queued.", count)
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d selected email was not failed and was left as it is.",
                    "%(count)d selected emails were not failed and were left as they are.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
