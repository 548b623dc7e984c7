from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from . import metrics, views
from .common import errors

admin.site.site_header = _("Dialogkonferanse administration")
admin.site.site_title = _("Dialogkonferanse")
admin.site.index_title = _("Procurement staff")

# Error pages of our own: translated, styled, and never reading request.POST.
handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error

urlpatterns = [
    path("admin/", admin.site.urls),
    path("language/<lang:code>/", views.switch_language, name="switch_language"),
    # Liveness and readiness; /healthz is readiness, as it always was.
    path("healthz", views.healthz_ready, name="healthz"),
    path("healthz/live", views.healthz_live, name="healthz_live"),
    path("healthz/ready", views.healthz_ready, name="healthz_ready"),
    # Prometheus, for the bearer of METRICS_TOKEN only.
    path("metrics", metrics.metrics_view, name="metrics"),
    path("privacy/", views.privacy_notice, name="privacy"),
    path("", include("registrations.urls")),
    path("", include("qa.urls")),
    path("", include("meetings.urls")),
    path("", include("conferences.urls")),
]

# --- Benchmark probe (bench/) ---------------------------------------------------------------

# Baseline views for `make bench` ratios; absent (404) unless DJANGO_BENCH_PROBE=1.
if settings.BENCH_PROBE:
    urlpatterns.append(path("_bench/", include("bench.probe.urls")))
