from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from . import views
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
    path("healthz", views.healthz, name="healthz"),
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
