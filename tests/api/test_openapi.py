"""The OpenAPI document declares every operation's response schema and error statuses."""

from __future__ import annotations

from typing import Any

from quart.typing import TestClientProtocol as Client

from server.api.fields import MAX_ID


async def document(client: Client) -> dict[str, Any]:
    response = await client.get("/api/openapi.json")
    assert response.status_code == 200
    return dict(await response.get_json())


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in doc["paths"].items()
        for method, operation in item.items()
    ]


async def test_every_operation_declares_its_success_body(client: Client) -> None:
    doc = await document(client)
    for method, path, operation in operations(doc):
        success = [s for s in operation["responses"] if str(s).startswith("2")]
        assert success, f"{method} {path} declares no success response"
        content = operation["responses"][success[0]].get("content")
        if success[0] == "204" or (content and "text/csv" in content):
            continue
        body = content["application/json"]["schema"]
        assert body.get("properties") or body.get("$ref"), f"{method} {path}: empty schema"


async def test_every_operation_declares_its_errors_in_the_one_shape(client: Client) -> None:
    doc = await document(client)
    for method, path, operation in operations(doc):
        statuses = {int(s) for s in operation["responses"]}
        assert 503 in statuses, f"{method} {path} omits the database outage"
        if "{" in path:
            assert 404 in statuses, f"{method} {path} omits 404"
        if "requestBody" in operation:
            assert 400 in statuses, f"{method} {path} omits 400"
        for status in (s for s in statuses if s >= 400):
            schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
            assert set(schema["properties"]) == {"code", "message", "details"}, (path, status)
            assert set(schema["required"]) >= {"code", "message"}


async def test_ids_in_paths_are_bounded_like_the_router(client: Client) -> None:
    doc = await document(client)
    parameter = doc["paths"]["/api/tickets/{ticket_id}"]["get"]["parameters"][0]
    assert parameter["schema"] == {"type": "integer", "minimum": 1, "maximum": MAX_ID}


async def test_creating_posts_document_the_idempotency_key(client: Client) -> None:
    doc = await document(client)
    for path in ("/api/appointments", "/api/walk-ins", "/api/emergencies", "/api/patients"):
        names = [p["name"] for p in doc["paths"][path]["post"]["parameters"]]
        assert "Idempotency-Key" in names, path


async def test_only_the_api_is_documented(client: Client) -> None:
    doc = await document(client)
    assert all(path.startswith("/api/") for path in doc["paths"])
    assert "/api/openapi.json" not in doc["paths"]
