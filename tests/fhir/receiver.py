"""A local HTTP endpoint standing in for an EHR's rest-hook: records what it is sent."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Receiver:
    """What was posted, and how many of the first posts to refuse with 503."""

    url: str = ""
    refuse_first: int = 0
    received: list[tuple[dict[str, str], Any]] = field(default_factory=list)
    attempts: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        if self.attempts <= self.refuse_first:
            return web.Response(status=503)
        body = await request.read()
        self.received.append((dict(request.headers), json.loads(body) if body else None))
        return web.Response(status=200)

    def resources(self, kind: str) -> list[Any]:
        return [body for _, body in self.received if body and body["resourceType"] == kind]


@asynccontextmanager
async def receiver(refuse_first: int = 0) -> AsyncIterator[Receiver]:
    """Serve a Receiver on a free local port."""
    found = Receiver(refuse_first=refuse_first)
    app = web.Application()
    app.router.add_post("/ehr/hook", found.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    found.url = f"http://127.0.0.1:{port}/ehr/hook"
    try:
        yield found
    finally:
        await runner.cleanup()
