"""``{% conference_overview %}``: the key figures of the current conferences on the admin home
(``templates/admin/index.html``), for staff who may see the conference dashboard."""

from __future__ import annotations

from typing import Any

from django import template

from ..admin.dashboard import build_overviews, can_view_dashboard, current_conferences

register = template.Library()


@register.inclusion_tag("admin/conferences/overview_summary.html", takes_context=True)
def conference_overview(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not can_view_dashboard(user):
        return {"allowed": False}
    return {"allowed": True, "overviews": build_overviews(current_conferences())}
