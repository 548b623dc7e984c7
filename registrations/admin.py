from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from dialogkonferanse.audit.log import AuditedAdminMixin
from dialogkonferanse.common.admin_mixins import NoAddOrDeleteAdminMixin
from dialogkonferanse.outbox.queue import emails_for_registration
from dialogkonferanse.templatetags.dialog import oslo_datetime

from .exceptions import RegistrationError
from .exports import registrations_csv
from .models import Registration
from .retention import RetentionError, anonymise_registration, export_personal_data
from .services import reissue_access_link, revoke_personal_links


class CancelledFilter(admin.SimpleListFilter):
    title = _("cancelled")
    parameter_name = "cancelled"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", pgettext_lazy("registration status", "Cancelled")), ("no", _("Active"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Registration]) -> Any:
        if self.value() == "yes":
            return queryset.filter(cancelled_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(cancelled_at__isnull=True)
        return queryset


class AnonymiseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "For example: request from the person by email on 3 March. Kept in the audit log; "
            "do not write the person's name or address here."
        ),
    )


@admin.register(Registration)
class RegistrationAdmin(NoAddOrDeleteAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    # Suppliers register through the public form; personal data is anonymised after the
    # retention period, never deleted.
    list_display = (
        "organisation_name",
        "contact_name",
        "email",
        "conference",
        "country",
        "language",
        "wants_one_to_one",
        "is_active_display",
        "created_at",
    )
    list_filter = (
        "conference",
        "wants_one_to_one",
        CancelledFilter,
        "language",
        "country",
        "listed_publicly",
        "open_to_partnering",
    )
    list_select_related = ("conference",)
    search_fields = (
        "organisation_name",
        "contact_name",
        "email",
        "organisation_number",
        "national_id",
    )
    date_hierarchy = "created_at"
    actions = (
        "resend_access_link",
        "revoke_link",
        "export_csv",
        "export_personal_data_json",
        "anonymise_on_request",
    )
    readonly_fields = (
        "conference",
        "token_state",
        "privacy_acknowledged_at",
        "cancelled_at",
        "anonymised_at",
        "created_at",
        "updated_at",
        "email_log",
    )
    fieldsets = (
        (
            _("Organisation"),
            {
                "fields": (
                    "conference",
                    "organisation_name",
                    "country",
                    "organisation_number",
                    "national_id",
                )
            },
        ),
        (_("Contact person"), {"fields": ("contact_name", "email", "phone", "language")}),
        (
            _("Choices"),
            {
                "fields": (
                    "wants_one_to_one",
                    "one_to_one_topics",
                    "listed_publicly",
                    "open_to_partnering",
                )
            },
        ),
        (
            _("Status"),
            {
                "fields": (
                    "token_state",
                    "privacy_acknowledged_at",
                    "cancelled_at",
                    "anonymised_at",
                    "created_at",
                    "updated_at",
                )
            },
        ),
        (_("Emails"), {"fields": ("email_log",)}),
    )

    @admin.display(description=_("active"), boolean=True, ordering="cancelled_at")
    def is_active_display(self, obj: Registration) -> bool:
        return obj.is_active

    @admin.display(description=_("personal links"))
    def token_state(self, obj: Registration) -> str:
        """One row per link (the email that carried it, sent, last used, revoked); never the
        token or its hash."""
        links = list(obj.personal_links.order_by("-created_at", "-pk"))
        if not links or obj.anonymised_at is not None:
            return gettext("No valid link")
        working = sum(1 for link in links if link.revoked_at is None)
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    link.purpose,
                    oslo_datetime(link.created_at),
                    oslo_datetime(link.last_used_at) if link.last_used_at else "",
                    oslo_datetime(link.revoked_at) if link.revoked_at else "",
                )
                for link in links
            ),
        )
        return format_html(
            "<p>{}</p><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            ngettext(
                "%(count)d personal link works (until revoked or the retention period ends).",
                "%(count)d personal links work (until revoked or the retention period ends).",
                working,
            )
            % {"count": working},
            gettext("Sent with"),
            gettext("Sent"),
            gettext("Last used"),
            gettext("Revoked"),
            rows,
        )

    @admin.display(description=_("emails sent to this registration"))
    def email_log(self, obj: Registration) -> str:
        emails = list(emails_for_registration(obj.pk))
        if not emails:
            return gettext("None yet.")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    oslo_datetime(email.created_at),
                    email.kind,
                    email.subject,
                    email.get_status_display(),
                    oslo_datetime(email.sent_at) if email.sent_at else email.last_error,
                )
                for email in emails
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            gettext("Queued"),
            gettext("Kind"),
            gettext("Subject"),
            gettext("Status"),
            gettext("Sent / last error"),
            rows,
        )

    @admin.action(
        description=_("Send a new personal link (earlier links keep working)"),
        permissions=["change"],
    )
    def resend_access_link(self, request: HttpRequest, queryset: QuerySet[Registration]) -> None:
        sent, failed = 0, []
        for registration_id in queryset.values_list("pk", flat=True):
            try:
                reissue_access_link(registration_id=registration_id, actor=request.user)
            except RegistrationError as exc:
                failed.append(str(exc))
            else:
                sent += 1
        if sent:
            self.message_user(
                request,
                ngettext(
                    "A new link is on its way to %(count)d registration.",
                    "New links are on their way to %(count)d registrations.",
                    sent,
                )
                % {"count": sent},
                messages.SUCCESS,
            )
        for message in failed:
            self.message_user(request, message, messages.ERROR)

    @admin.action(
        description=_("Revoke all personal links and sign out every device (no email)"),
        permissions=["change"],
    )
    def revoke_link(self, request: HttpRequest, queryset: QuerySet[Registration]) -> None:
        count = 0
        for registration_id in queryset.values_list("pk", flat=True):
            try:
                revoke_personal_links(registration_id=registration_id, actor=request.user)
            except RegistrationError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                count += 1
        self.message_user(
            request,
            ngettext(
                "The personal links of %(count)d registration no longer work.",
                "The personal links of %(count)d registrations no longer work.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Export selected as CSV"), permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Registration]) -> HttpResponse:
        rows = queryset.select_related("conference").order_by("conference_id", "created_at", "pk")
        # The BOM makes spreadsheet programs read the file as UTF-8 (æ, ø, å).
        response = HttpResponse(
            "\ufeff" + registrations_csv(rows), content_type="text/csv; charset=utf-8"
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="registrations-{stamp}.csv"'
        return response

    @admin.action(
        description=_("Export personal data (JSON, for an access request)"), permissions=["view"]
    )
    def export_personal_data_json(
        self, request: HttpRequest, queryset: QuerySet[Registration]
    ) -> HttpResponse:
        """Everything about each selected person (matched by email across conferences)."""
        addresses = sorted({email.lower() for email in queryset.values_list("email", flat=True)})
        people = [export_personal_data(email=email, actor=request.user) for email in addresses]
        payload = people[0] if len(people) == 1 else {"people": people}
        response = HttpResponse(
            json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
            content_type="application/json; charset=utf-8",
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="personal-data-{stamp}.json"'
        return response

    @admin.action(description=_("Anonymise now (on request)…"), permissions=["change"])
    def anonymise_on_request(
        self, request: HttpRequest, queryset: QuerySet[Registration]
    ) -> HttpResponse | None:
        form = AnonymiseForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done = 0
            for registration_id in queryset.values_list("pk", flat=True):
                try:
                    if anonymise_registration(
                        registration_id=registration_id,
                        reason=form.cleaned_data["reason"],
                        actor=request.user,
                    ):
                        done += 1
                except RetentionError as exc:
                    self.message_user(request, str(exc), messages.ERROR)
            self.message_user(
                request,
                ngettext(
                    "%(count)d registration anonymised.",
                    "%(count)d registrations anonymised.",
                    done,
                )
                % {"count": done},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Anonymise registrations"),
            "intro": gettext(
                "The person's name, email address, phone, free text, personal link and the "
                "emails sent to them are removed for good. The company and all counts stay "
                "in the procurement record."
            ),
            "form": form,
            "queryset": queryset,
            "action": "anonymise_on_request",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "dialogkonferanse/admin_action.html", context)
