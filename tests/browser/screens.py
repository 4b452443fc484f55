"""Locators for the screens the tests watch (the board and patient page DOM: docs/realtime.md)."""

from __future__ import annotations

from playwright.sync_api import Locator, Page

BOARD_KEY = "dk_demo-waiting-room-board"
GENERAL = "General Medicine"  # the demo department of the demo doctor (Dr. Amara Okafor)


def board_department(board: Page, name: str = GENERAL) -> Locator:
    """Return a department's section of the TV board."""
    return board.locator("section.department").filter(has=board.locator("h1.name", has_text=name))


def board_calls(board: Page, name: str = GENERAL) -> Locator:
    """Return the tokens the board shows as called to a room."""
    return board_department(board, name).locator(".calls .call.called")


def board_emergencies(board: Page, name: str = GENERAL) -> Locator:
    """Return the next tokens the board marks as emergencies."""
    return board_department(board, name).locator(".next li.emergency")
