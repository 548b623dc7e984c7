from django.urls import path

from . import views

app_name = "qa"

urlpatterns = [
    # Viewers, through the registration's session (see registrations.access).
    path("me/<slug:slug>/stream/", views.stream, name="stream"),
    path("me/<slug:slug>/stream/ask/", views.ask, name="ask"),
    path("me/<slug:slug>/stream/questions/<id:pk>/vote/", views.vote, name="vote"),
    path("me/<slug:slug>/stream/events/", views.viewer_events, name="viewer_events"),
    # The public Q&A log, open without registration.
    path("conferences/<slug:slug>/questions/", views.public_log, name="public_log"),
    path("conferences/<slug:slug>/questions.csv", views.public_log_csv, name="public_log_csv"),
    # Moderators.
    path("moderate/<slug:slug>/", views.dashboard, name="dashboard"),
    path("moderate/<slug:slug>/events/", views.moderator_events, name="moderator_events"),
    path("moderate/<slug:slug>/digest/", views.digest, name="digest"),
    path("moderate/<slug:slug>/questions/<id:pk>/card/", views.card, name="card"),
    path("moderate/<slug:slug>/questions/<id:pk>/<word:action>/", views.moderate, name="moderate"),
]
