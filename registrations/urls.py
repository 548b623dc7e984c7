from django.urls import path

from . import views

app_name = "registrations"

urlpatterns = [
    path("conferences/<slug:slug>/register/", views.register, name="register"),
    path("conferences/<slug:slug>/register/thanks/", views.registered, name="registered"),
    path("conferences/<slug:slug>/my-link/", views.resend_link, name="resend"),
    path("conferences/<slug:slug>/my-link/sent/", views.link_sent, name="link_sent"),
    # A personal link: exchanged for a session at once, then redirected to /me/<slug>/ (or,
    # with a target, the stream or meeting page: entry_links.ENTRY_TARGETS). The token appears
    # in no other address (and log lines redact it, see log_filters.py).
    path("r/<token:token>/", views.access, name="access"),
    path("r/<token:token>/<word:target>/", views.access, name="access_to"),
    path("me/<slug:slug>/", views.personal, name="personal"),
    path("me/<slug:slug>/cancel/", views.cancel, name="cancel"),
    path("me/<slug:slug>/reinstate/", views.reinstate, name="reinstate"),
    path("me/<slug:slug>/leave/", views.leave, name="leave"),
    path(
        "me/<slug:slug>/sign-out-everywhere/",
        views.sign_out_everywhere,
        name="sign_out_everywhere",
    ),
    path("me/<slug:slug>/calendar.ics", views.calendar, name="calendar"),
]
