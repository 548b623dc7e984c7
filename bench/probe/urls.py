from django.urls import path

from . import views

app_name = "bench_probe"

urlpatterns = [
    path("minimal/", views.minimal, name="minimal"),
    path("form/", views.form, name="form"),
]
