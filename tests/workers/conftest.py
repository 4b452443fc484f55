"""Reuse the live-server screen fixtures of the realtime tests."""

from tests.realtime.conftest import screens

__all__ = ["screens"]
