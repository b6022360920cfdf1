"""The site's URLs plus one bare view, for the HTTP benchmark (P4).

The bare view answers through the same middleware as every page, so its
requests per second are the ceiling the pages are measured against.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config import urls as site


def bare(request: HttpRequest) -> HttpResponse:
    """Say OK, and nothing else: no query, no template."""
    return HttpResponse(b"OK", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), *site.urlpatterns]
handler404 = site.handler404
handler500 = site.handler500
