"""Closed connections' garbage is collected in bulk, more rarely when many sockets are open."""

from __future__ import annotations

from server.realtime.collector import ChurnCollector
from tests.realtime.test_direct import until


async def test_a_full_collection_follows_every_so_many_closes() -> None:
    churn = ChurnCollector(every=10, delay_s=0.0)
    for _ in range(9):
        churn.opened()
        churn.closed()
    assert not churn.scheduled  # nothing due, so nothing can run later either
    churn.opened()
    churn.closed()
    assert churn.scheduled and churn.collections == 0  # after the burst, not inside it
    await until(lambda: churn.collections == 1)
    assert churn.closed_since == 0 and not churn.scheduled


async def test_with_many_sockets_open_it_waits_for_a_quarter_of_them_to_close() -> None:
    churn = ChurnCollector(every=10, delay_s=0.0)
    for _ in range(200):
        churn.opened()
    for _ in range(39):
        churn.closed()  # 161 still open: due after 40
    assert not churn.scheduled
    churn.closed()
    assert churn.scheduled
    await until(lambda: churn.collections == 1)
    for _ in range(20):
        churn.closed()  # 140 open: due after 35
    assert not churn.scheduled and churn.collections == 1
