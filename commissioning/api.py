"""The read API for reporting tools, and the roster sync for HR systems.

Every endpoint goes through the same scope as the pages: an out-of-scope provider
is 404, a role that sees no figures 403, no credentials 401, bad input 400 with
field-level detail. Commissioners get aggregates only, never a name.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Role, has_role
from commissioning.reports import provider_scope, scoped_provider, table_for
from commissioning.reports.common import SUPPRESSED, ReportScope, Table, team_scope
from commissioning.reports.trends import last_complete_month, snapshot_table
from config.api import API_THROTTLES
from workforce.dates import add_months, today
from workforce.roster import MAX_ROWS, RosterBusy, save_roster_rows


class CanReadFigures(BasePermission):
    """Commissioners, provider managers and platform admins read figures."""

    message = (
        "Only commissioners, provider managers and platform admins can read figures."
    )

    def has_permission(self, request: Request, view: Any) -> bool:
        return has_role(
            request.user, Role.COMMISSIONER, Role.PROVIDER_MANAGER, Role.PLATFORM_ADMIN
        )


class CanSyncRoster(BasePermission):
    """Provider managers (their own organisation) and platform admins sync rosters."""

    message = "Only provider managers and platform admins can sync the roster."

    def has_permission(self, request: Request, view: Any) -> bool:
        return has_role(request.user, Role.PROVIDER_MANAGER, Role.PLATFORM_ADMIN)


PROVIDER_PARAM = OpenApiParameter(
    "provider",
    OpenApiTypes.INT,
    description="A provider's id: answer team by team for that provider. Without "
    "it, one row per provider in your scope.",
)

TableResponse = inline_serializer(
    "TableResponse",
    {
        "as_of": serializers.DateField(),
        "level": serializers.ChoiceField(choices=["provider", "team"]),
        "provider": serializers.IntegerField(allow_null=True),
        "note": serializers.CharField(),
        "columns": serializers.ListField(child=serializers.DictField()),
        "results": serializers.ListField(
            child=serializers.DictField(),
            help_text="One object per provider or team. A suppressed figure (a group "
            "of fewer than 5 people) is null, and its row has suppressed: true.",
        ),
    },
)


def _scope(request: Request, as_of: date) -> tuple[ReportScope, int | None]:
    raw = request.query_params.get("provider")
    if raw in (None, ""):
        return provider_scope(request.user, as_of=as_of), None
    if not raw.isdigit():
        raise ValidationError({"provider": ["A provider id is a whole number."]})
    provider = scoped_provider(request.user, raw, as_of=as_of)
    if provider is None:
        raise NotFound("No such provider in your scope.")
    return team_scope(request.user, provider, as_of=as_of), provider.pk


def _unsuppressed(row: Mapping[str, Any]) -> dict[str, Any]:
    """Send a suppressed figure as null (its row says ``suppressed: true``)."""
    return {key: None if value == SUPPRESSED else value for key, value in row.items()}


def _payload(
    table: Table, *, as_of: date, level: str, provider: int | None
) -> dict[str, Any]:
    return {
        "as_of": as_of,
        "level": level,
        "provider": provider,
        "note": table.note,
        "columns": [
            {"key": c.key, "label": c.label, "numeric": c.numeric}
            for c in table.columns
        ],
        "results": [_unsuppressed(row) for row in table.rows],
    }


class FiguresView(APIView):
    """Read one table of figures, for every provider in scope or one's teams."""

    permission_classes = [IsAuthenticated, CanReadFigures]
    throttle_classes = API_THROTTLES
    table_key = ""

    def get(self, request: Request) -> Response:
        as_of = today()
        scope, provider = _scope(request, as_of)
        table = table_for(scope, self.table_key)
        if table is None:
            raise NotFound("This figure is not available.")
        return Response(
            _payload(table, as_of=as_of, level=scope.level.value, provider=provider)
        )


def figures_view(key: str, summary: str) -> Any:
    """Make the endpoint of one table, documented in the schema."""

    def get(self: FiguresView, request: Request) -> Response:
        return FiguresView.get(self, request)

    view = type(
        f"{key.title().replace('_', '')}FiguresView",
        (FiguresView,),
        {
            "table_key": key,
            "__doc__": summary,
            "get": extend_schema(
                summary=summary,
                parameters=[PROVIDER_PARAM],
                responses={200: TableResponse},
                operation_id=f"figures_{key}",
            )(get),
        },
    )
    return view.as_view()


class ProvidersView(APIView):
    """List the providers whose figures you may read."""

    permission_classes = [IsAuthenticated, CanReadFigures]
    throttle_classes = API_THROTTLES

    @extend_schema(
        summary="Providers in your scope",
        responses={
            200: inline_serializer(
                "Provider",
                {"id": serializers.IntegerField(), "name": serializers.CharField()},
                many=True,
            )
        },
    )
    def get(self, request: Request) -> Response:
        scope = provider_scope(request.user, as_of=today())
        return Response([{"id": p.pk, "name": p.name} for p in scope.providers])


class SnapshotQuery(serializers.Serializer):
    provider = serializers.IntegerField(required=False, min_value=1)
    start = serializers.DateField(required=False, help_text="First month, YYYY-MM-DD")
    end = serializers.DateField(required=False, help_text="Last month, YYYY-MM-DD")
    metric = serializers.CharField(
        required=False,
        max_length=60,
        help_text="One figure, e.g. caseload.mean_caseload",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("start") and attrs.get("end") and attrs["start"] > attrs["end"]:
            raise ValidationError({"start": ["start must not be after end."]})
        return attrs


class SnapshotsView(APIView):
    """Read the monthly snapshots (default: the last 12 complete months)."""

    permission_classes = [IsAuthenticated, CanReadFigures]
    throttle_classes = API_THROTTLES

    @extend_schema(
        summary="Monthly snapshots of every figure",
        parameters=[SnapshotQuery],
        responses={200: TableResponse},
    )
    def get(self, request: Request) -> Response:
        query = SnapshotQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        as_of = today()
        end = query.validated_data.get("end") or last_complete_month(as_of)
        start = query.validated_data.get("start") or add_months(end, -11)
        scope = provider_scope(request.user, as_of=as_of)
        ids = scope.provider_ids
        provider = query.validated_data.get("provider")
        if provider is not None:
            if provider not in ids:
                raise NotFound("No such provider in your scope.")
            ids = [provider]
        table = snapshot_table(
            provider_ids=ids,
            start=start.replace(day=1),
            end=end.replace(day=1),
            metric=query.validated_data.get("metric"),
        )
        return Response(
            _payload(table, as_of=as_of, level="snapshot", provider=provider)
        )


class RosterRows(serializers.Serializer):
    rows = serializers.ListField(
        child=serializers.DictField(
            child=serializers.CharField(allow_blank=True, trim_whitespace=True)
        ),
        allow_empty=False,
        max_length=MAX_ROWS,
        help_text="One object per person, keyed by the roster's column names.",
    )
    dry_run = serializers.BooleanField(default=False)


class RosterView(APIView):
    """Create or update staff from an HR system: all rows saved, or none."""

    permission_classes = [IsAuthenticated, CanSyncRoster]
    throttle_classes = API_THROTTLES
    throttle_scope = "roster"

    @extend_schema(
        summary="Sync the staff roster (upsert by email)",
        request=RosterRows,
        responses={
            200: inline_serializer(
                "RosterResult",
                {
                    "created": serializers.IntegerField(),
                    "updated": serializers.IntegerField(),
                    "unchanged": serializers.IntegerField(),
                    "dry_run": serializers.BooleanField(),
                },
            ),
            409: inline_serializer("RosterBusy", {"detail": serializers.CharField()}),
            400: inline_serializer(
                "RosterErrors",
                {
                    "detail": serializers.CharField(),
                    "errors": serializers.ListField(child=serializers.DictField()),
                },
            ),
        },
    )
    def post(self, request: Request) -> Response:
        body = RosterRows(data=request.data)
        body.is_valid(raise_exception=True)
        rows = [
            {key.strip().lower(): value for key, value in row.items()}
            for row in body.validated_data["rows"]
        ]
        try:
            result = save_roster_rows(
                rows, importer=request.user, dry_run=body.validated_data["dry_run"]
            )
        except RosterBusy as busy:
            return Response({"detail": str(busy)}, status=409)
        if not result.ok:
            return Response(
                {
                    "detail": result.summary(),
                    "errors": [
                        {
                            # Line 1 is the CSV header, so row index = line - 2.
                            "row": error.line - 2 if error.line >= 2 else None,
                            "field": error.column or None,
                            "message": error.message,
                        }
                        for error in result.errors
                    ],
                },
                status=400,
            )
        return Response(
            {
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "dry_run": result.dry_run,
            }
        )


def schema_for_docs() -> dict[str, Any]:
    """Return the OpenAPI schema, for the self-hosted documentation page."""
    return SchemaGenerator().get_schema(request=None, public=True)
