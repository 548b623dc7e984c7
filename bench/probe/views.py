"""Baselines: a constant page, and a form that validates and inserts one row."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from .forms import ProbeForm
from .services import create_probe_row

MINIMAL_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Probe</title></head>'
    "<body><main><h1>Probe</h1><p>A constant page.</p></main></body></html>"
)


@require_GET
def minimal(request: HttpRequest) -> HttpResponse:
    """The least a Django view can do through the full middleware stack."""
    return HttpResponse(MINIMAL_PAGE)


@require_http_methods(["GET", "POST"])
def form(request: HttpRequest) -> HttpResponse:
    """GET renders the form (with a CSRF token); a valid POST inserts one row and redirects."""
    if request.method == "POST":
        bound = ProbeForm(request.POST)
        if bound.is_valid():
            create_probe_row(**bound.cleaned_data)
            return redirect("bench_probe:form")
        return render(request, "probe/form.html", {"form": bound}, status=400)
    return render(request, "probe/form.html", {"form": ProbeForm()})
