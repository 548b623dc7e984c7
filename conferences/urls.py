from django.urls import path

from . import views

app_name = "conferences"

urlpatterns = [
    path("", views.conference_list, name="list"),
    path("archive/", views.archive, name="archive"),
    path("archive/search/", views.package_search, name="archive_search"),
    path("conferences/live.json", views.live_status, name="live_status"),
    path("conferences/<slug:slug>/", views.conference_detail, name="detail"),
    path("conferences/<slug:slug>/calendar.ics", views.conference_calendar, name="calendar"),
    # The information package: open without registration (DOMAIN.md rule 2).
    path(
        "conferences/<slug:slug>/information/",
        views.information_package_view,
        name="package",
    ),
    path(
        "conferences/<slug:slug>/information/search/",
        views.package_search,
        name="package_search",
    ),
    path(
        "conferences/<slug:slug>/information/download/",
        views.package_download,
        name="package_download",
    ),
    path(
        "conferences/<slug:slug>/information/download/status.json",
        views.package_download_status,
        name="package_download_status",
    ),
    path(
        "conferences/<slug:slug>/information/recordings/<id:pk>/video",
        views.recording_video,
        name="recording_video",
    ),
    path(
        "conferences/<slug:slug>/information/recordings/<id:pk>/captions/<lang:language>.vtt",
        views.recording_captions,
        name="recording_captions",
    ),
    path(
        "conferences/<slug:slug>/information/documents/<id:pk>/file.pdf",
        views.document_file,
        name="document_file",
    ),
]
