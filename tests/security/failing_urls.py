"""The project's URLs plus one view that fails, to see the 500 page (tests only)."""

from django.urls import path

from dialogkonferanse.urls import handler400, handler403, handler404, handler500
from dialogkonferanse.urls import urlpatterns as project_urlpatterns


def fails(request):
    raise RuntimeError("a bug")


urlpatterns = [path("fails/", fails), *project_urlpatterns]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
