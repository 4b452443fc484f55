"""Notification jobs: deliver the outbox, and the reminder cron."""

from __future__ import annotations

from server.notify.scheduler import deliver_outbox, send_due_reminders

__all__ = ["deliver_outbox", "send_due_reminders"]
