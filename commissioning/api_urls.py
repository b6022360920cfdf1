"""The versioned API, mounted at ``/api/v1/``."""

from django.urls import path
from drf_spectacular.views import SpectacularJSONAPIView

from commissioning import api, api_docs

app_name = "api"

# (URL segment, table key, summary). A family whose app is not installed answers 404.
FIGURES = [
    ("coverage", "coverage", "Training coverage per requirement"),
    ("supervision", "supervision", "Supervision compliance"),
    ("checkins", "checkins", "Check-in aggregates (groups under 5 suppressed)"),
    ("caseload", "caseload", "Caseload indicators"),
    ("staffing", "staffing", "Worker to manager FTE ratio"),
    ("forecast", "forecast", "Training expiries per month, next 12 months"),
]

urlpatterns = [
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="schema"),
    path("docs/", api_docs.docs, name="docs"),
    path("providers/", api.ProvidersView.as_view(), name="providers"),
    *[
        path(f"{segment}/", api.figures_view(key, summary), name=segment)
        for segment, key, summary in FIGURES
    ],
    path("snapshots/", api.SnapshotsView.as_view(), name="snapshots"),
    path("roster/", api.RosterView.as_view(), name="roster"),
]
