from django.urls import path

from . import views

app_name = "meetings"

urlpatterns = [
    # The supplier's meeting page, reached through the session the personal link opened.
    path("me/<slug:slug>/meeting/", views.booking, name="booking"),
    path("me/<slug:slug>/meeting/book/", views.book, name="book"),
    path("me/<slug:slug>/meeting/change/", views.change, name="change"),
    path("me/<slug:slug>/meeting/cancel/", views.cancel, name="cancel"),
    path("me/<slug:slug>/meeting/waiting-list/", views.join_waiting, name="join_waiting"),
    path("me/<slug:slug>/meeting/request/", views.request_meeting_view, name="request"),
    path("me/<slug:slug>/meeting/calendar.ics", views.calendar, name="calendar"),
    # Staff: the printable overview of each day's meetings per team.
    path("staff/meetings/<slug:slug>/", views.staff_overview, name="staff_overview"),
]
