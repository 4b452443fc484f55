"""A local fake of Twilio's Messages REST API, checking what Twilio checks."""

from __future__ import annotations

import asyncio
import base64
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
MORE_INFO = "https://www.twilio.com/docs/errors/{code}"


def twilio_error(status: int, code: int, message: str) -> web.Response:
    """Answer with Twilio's error shape."""
    body = {
        "code": code,
        "message": message,
        "more_info": MORE_INFO.format(code=code),
        "status": status,
    }
    return web.json_response(body, status=status)


@dataclass
class FakeTwilio:
    """Accepts messages like Twilio; can fail (500) or hang on the next N requests."""

    account_sid: str = "AC" + "0" * 32
    auth_token: str = "fake-auth-token"
    messages: list[dict[str, str]] = field(default_factory=list)
    requests: int = 0
    fail_next: int = 0
    hang_next: int = 0
    delay_s: float = 0.0  # answer time of an accepted message
    unassigned: set[str] = field(default_factory=set)  # well-formed numbers Twilio refuses
    url: str = ""
    _release: asyncio.Event = field(default_factory=asyncio.Event)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        """Listen on a free loopback port; return the base URL."""
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self.create_message)
        self._runner = web.AppRunner(app, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        """Release hanging requests and stop listening."""
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_for_messages(self, count: int) -> None:
        """Wait until `count` messages have been accepted."""
        while len(self.messages) < count:
            self._arrived.clear()
            await self._arrived.wait()

    def bodies(self) -> list[str]:
        """Return the bodies of the accepted messages."""
        return [m["Body"] for m in self.messages]

    def _authorized(self, request: web.Request) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"

    async def create_message(self, request: web.Request) -> web.Response:
        """POST /2010-04-01/Accounts/{AccountSid}/Messages.json"""
        self.requests += 1
        if not self._authorized(request):
            return twilio_error(401, 20003, "Authenticate")
        if request.match_info["sid"] != self.account_sid:
            return twilio_error(404, 20404, "The requested resource was not found")
        form = await request.post()
        to, sender, body = (str(form.get(k, "")) for k in ("To", "From", "Body"))
        refused = self._refusal(to, sender, body)
        if refused is not None:
            return refused
        if self.fail_next > 0:
            self.fail_next -= 1
            return twilio_error(500, 20500, "Internal Server Error")
        if self.hang_next > 0:
            self.hang_next -= 1
            await self._release.wait()  # never accepted: the client must time out
            return twilio_error(503, 20503, "Service Unavailable")
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        return web.json_response(self._accept(to, sender, body), status=201)

    def _refusal(self, to: str, sender: str, body: str) -> web.Response | None:
        if not to:
            return twilio_error(400, 21604, "A 'To' phone number is required.")
        if not sender:
            return twilio_error(400, 21603, "A 'From' phone number is required.")
        if not body:
            return twilio_error(400, 21602, "Message body is required.")
        if not E164.match(to) or to in self.unassigned:
            return twilio_error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        return None

    def _accept(self, to: str, sender: str, body: str) -> dict[str, Any]:
        sid = "SM" + secrets.token_hex(16)
        self.messages.append({"sid": sid, "To": to, "From": sender, "Body": body})
        self._arrived.set()
        return {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": to,
            "from": sender,
            "body": body,
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "price": None,
            "error_code": None,
            "error_message": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }
