"""The REST API: blueprints, request schemas, idempotency and the JSON error shape."""
