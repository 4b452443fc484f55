"""Tell systemd (Type=notify, WatchdogSec=) that the worker is up and its loop alive."""

from __future__ import annotations

import os
import socket


def notify(message: str) -> bool:
    """Send one sd_notify message ("READY=1", "WATCHDOG=1", ...); False outside systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(address)
            sock.sendall(message.encode())
        except OSError:
            return False
    return True
