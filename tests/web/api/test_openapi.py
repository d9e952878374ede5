"""GET /api/v1/openapi.json: built from the registered routes, valid OpenAPI 3."""
from __future__ import annotations

import json

from flask import Blueprint
from marshmallow import Schema, fields

from web.api.openapi import build_spec, operation


def test_document_lists_the_platform_paths(client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = json.loads(response.data)
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/health", "/api/v1/auth/tokens", "/api/v1/documents", "/api/v1/documents/{document_id}",
            "/api/v1/audit/verify", "/api/v1/openapi.json"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}


def test_operations_carry_schemas_and_security(client) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    tokens = spec["paths"]["/api/v1/auth/tokens"]["post"]
    assert tokens["security"] == []
    body_ref = tokens["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = spec["components"]["schemas"][body_ref.rsplit("/", 1)[-1]]
    assert set(body["required"]) == {"username", "password"}
    assert "201" in tokens["responses"]
    download = spec["paths"]["/api/v1/documents/{document_id}"]["get"]
    assert {"bearerAuth": []} in download["security"] and "401" in download["responses"]
    assert download["parameters"] == [
        {"in": "path", "name": "document_id", "required": True, "schema": {"type": "integer"}}]
    upload = spec["paths"]["/api/v1/documents"]["post"]["requestBody"]["content"]["multipart/form-data"]
    upload_schema = spec["components"]["schemas"][upload["schema"]["$ref"].rsplit("/", 1)[-1]]
    assert upload_schema["properties"]["file"] == {"type": "string", "format": "binary"}


class ThingSchema(Schema):
    name = fields.String(required=True)


def test_a_new_blueprint_appears_with_or_without_description(app_config) -> None:
    from web import create_app

    bp = Blueprint("api_things_test", __name__, url_prefix="/api/v1/things")

    @bp.post("/<int:thing_id>/rename")
    @operation("Rename a thing", tags=["things"], body=ThingSchema, responses={200: ThingSchema})
    def rename(thing_id: int) -> str:
        return ""

    @bp.get("/<slug>")
    def undocumented(slug: str) -> str:
        """Show a thing by slug."""
        return ""

    app = create_app(app_config)
    try:
        app.register_blueprint(bp)
        spec = build_spec(app)
    finally:
        app.extensions["oversite"].close()
    assert spec["paths"]["/api/v1/things/{thing_id}/rename"]["post"]["summary"] == "Rename a thing"
    assert spec["paths"]["/api/v1/things/{slug}"]["get"]["summary"] == "Show a thing by slug."
    assert "Thing" in spec["components"]["schemas"]
