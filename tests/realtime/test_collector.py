"""Closed connections' garbage is collected in bulk, more rarely when many sockets are open."""

from __future__ import annotations

import asyncio

from server.realtime import collector
from server.realtime.collector import ChurnCollector


async def test_a_full_collection_follows_every_so_many_closes() -> None:
    churn = ChurnCollector(every=10)
    for _ in range(9):
        churn.opened()
        churn.closed()
    await asyncio.sleep(collector.DELAY_S + 0.2)
    assert churn.collections == 0
    churn.opened()
    churn.closed()
    await asyncio.sleep(collector.DELAY_S + 0.2)
    assert churn.collections == 1
    assert churn.closed_since == 0


async def test_with_many_sockets_open_it_waits_for_a_quarter_of_them_to_close() -> None:
    churn = ChurnCollector(every=10)
    for _ in range(200):
        churn.opened()
    for _ in range(40):
        churn.closed()  # 160 still open: due after 40
    await asyncio.sleep(collector.DELAY_S + 0.2)
    assert churn.collections == 1
    for _ in range(20):
        churn.closed()  # 140 open: due after 35
    await asyncio.sleep(collector.DELAY_S + 0.2)
    assert churn.collections == 1
