"""A self-hosted page describing the API, read from its OpenAPI schema.

Redoc and Swagger UI load their scripts from a CDN, which production may not reach
and the Content-Security-Policy would block; this page needs no script at all.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

METHODS = ("get", "post", "put", "patch", "delete")


def operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Flatten the schema's paths into one entry per method and path."""
    found = []
    for url, item in schema.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            found.append(
                {
                    "method": method.upper(),
                    "url": url,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": [
                        {
                            "name": p["name"],
                            "where": p.get("in", ""),
                            "required": p.get("required", False),
                            "description": p.get("description", ""),
                        }
                        for p in operation.get("parameters", [])
                    ],
                    "responses": sorted(operation.get("responses", {})),
                }
            )
    return found


def docs(request: HttpRequest) -> HttpResponse:
    """Describe every API endpoint in plain HTML."""
    from commissioning.api import schema_for_docs

    schema = schema_for_docs()
    return render(
        request,
        "commissioning/api_docs.html",
        {"info": schema.get("info", {}), "operations": operations(schema)},
    )
