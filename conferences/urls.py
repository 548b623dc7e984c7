from django.urls import path

from . import views

app_name = "conferences"

urlpatterns = [
    path("", views.conference_list, name="list"),
    path("conferences/<slug:slug>/", views.conference_detail, name="detail"),
    path("conferences/<slug:slug>/calendar.ics", views.conference_calendar, name="calendar"),
]
