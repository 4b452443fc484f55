"""The live demo plays a clinic day through the real actions; people may act in between."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from server.actions import queue
from server.auth.actor import SYSTEM
from server.config import Settings
from server.demo import DEMO_DISPLAY_KEY, seed
from server.models import Appointment, AuditEvent, Doctor, Ticket
from server.queue.order import Urgency
from server.queue.state import TicketStatus
from server.services import Services
from server.simulation.live import (
    LiveDay,
    Player,
    Shift,
    Timeline,
    Visit,
    VisitKind,
    live_day,
)
from server.simulation.scenario import synthetic_scenario
from tests.conftest import Clock
from tests.realtime.conftest import LiveServer, Screen, serve, settled

SPEED = 60.0
Intervention = Callable[[Services], Awaitable[None]]


@pytest.fixture
async def live_server(
    settings: Settings, engine: AsyncEngine, clock: Clock
) -> AsyncIterator[LiveServer]:
    """Yield a live server holding the demo clinic without today's day (the player plays it)."""
    async with serve(settings, clock) as server:
        await server.services.run(lambda s: seed(s, clock(), day=False))
        yield server


@pytest.fixture
async def board(live_server: LiveServer) -> AsyncIterator[Screen]:
    """Yield the demo's TV board, joined to every department."""
    screen = Screen("/board")
    await screen.connect(live_server.url, {"key": DEMO_DISPLAY_KEY})
    await screen.join()
    yield screen
    await screen.close()


def fast_clock(
    services: Services, clock: Clock, timeline: Timeline, people: dict[float, Intervention]
) -> Callable[[datetime], Awaitable[None]]:
    """Jump the clock to each step's moment; let people act at their clinic minute first."""

    async def sleep_until(moment: datetime) -> None:
        for minute in sorted(people):
            if timeline.at(minute) <= moment:
                clock.now = max(clock.now, timeline.at(minute))
                await people.pop(minute)(services)
                await settled(services)
        clock.now = max(clock.now, moment)
        await settled(services)

    return sleep_until


def small_day(*visits: Visit) -> LiveDay:
    """One department (General Medicine) with its two doctors for two clinic hours."""
    shifts = (Shift(0, 0, 0.0, 120.0), Shift(0, 1, 0.0, 120.0, late_min=30.0))
    return LiveDay(minutes=120.0, slot_min=15, shifts=shifts, visits=visits)


def walk_in(at: float, consult: float = 10.0) -> Visit:
    return Visit(VisitKind.WALK_IN, 0, consult_min=consult, arrives_min=at)


async def statuses(services: Services) -> dict[str, int]:
    async def work(s: AsyncSession) -> dict[str, int]:
        rows = await s.execute(
            select(Appointment.status, func.count(Appointment.id)).group_by(Appointment.status)
        )
        return {status.value: count for status, count in rows.tuples()}

    return await services.read(work)


def tokens_called(updates: list[dict[str, Any]]) -> list[str]:
    return [e["token"] for u in updates for e in u["events"] if e["kind"] == "called"]


async def test_a_day_plays_as_real_actions_and_the_board_follows(
    live_server: LiveServer, board: Screen, clock: Clock
) -> None:
    services = live_server.services
    day = small_day(
        Visit(VisitKind.BOOKED, 0, 12.0, arrives_min=25.0, doctor=0, slot_min=30.0),
        Visit(VisitKind.BOOKED, 0, 12.0, arrives_min=None, doctor=1, slot_min=45.0),  # no-show
        walk_in(5.0),
        walk_in(10.0),
        Visit(VisitKind.EMERGENCY, 0, 20.0, arrives_min=15.0, urgency=Urgency.EMERGENCY),
    )
    timeline = Timeline(clock(), SPEED)
    player = Player(services, lambda _n, _d: day, SPEED, fast_clock(services, clock, timeline, {}))

    record = await player.play(day, timeline)

    assert record.actions == {
        "book": 2,
        "walk_in": 2,
        "emergency": 1,
        "check_in": 1,
        "call": 4,
        "start": 4,
        "complete": 4,
    }
    assert record.refused == {}
    assert await statuses(services) == {"completed": 4, "booked": 1}

    async def audited(s: AsyncSession) -> dict[str, int]:
        rows = await s.execute(
            select(AuditEvent.action, func.count(AuditEvent.id)).group_by(AuditEvent.action)
        )
        return dict(rows.tuples().all())

    counts = await services.read(audited)
    assert counts["call"] == 4  # each call its own action with its audit row
    assert counts["desk.open"] == counts["desk.close"] == 2  # both doctors came and went
    completed = await services.read(
        lambda s: s.scalars(
            select(Ticket.token)
            .join(Appointment, Ticket.appointment_id == Appointment.id)
            .where(Appointment.status == TicketStatus.COMPLETED)
        )
    )
    # the board saw every call, without a click, each once
    assert sorted(tokens_called(await board.drain())) == sorted(completed)


async def test_a_person_acting_in_between_does_not_stop_the_player(
    live_server: LiveServer, board: Screen, clock: Clock
) -> None:
    services = live_server.services
    day = small_day(*(walk_in(at, consult=15.0) for at in (1.0, 2.0, 3.0, 4.0, 5.0, 6.0)))
    timeline = Timeline(clock(), SPEED)
    general = select(func.min(Doctor.department_id)).scalar_subquery()  # the first department
    doctors = await services.read(
        lambda s: s.scalars(
            select(Doctor.id).where(Doctor.department_id == general).order_by(Doctor.id)
        )
    )
    first, second = list(doctors)

    async def finish_what_the_player_called(services: Services) -> None:
        [ticket_id] = await services.read(lambda s: s.scalars(called_tickets()))
        for step in (queue.start, queue.complete):
            await services.run(
                lambda s, step=step: step(s, SYSTEM, ticket_id=ticket_id, now=clock())
            )

    async def call_for_the_late_doctor(services: Services) -> None:
        await services.run(lambda s: queue.call_next(s, SYSTEM, doctor_id=second, now=clock()))

    people = {1.5: finish_what_the_player_called, 20.0: call_for_the_late_doctor}
    player = Player(
        services, lambda _n, _d: day, SPEED, fast_clock(services, clock, timeline, people)
    )

    record = await player.play(day, timeline)

    assert people == {}  # both people acted
    assert record.refused == {"start": 1}  # the patient a person had seen already
    assert record.human_doctors == {second}  # left to the person who called for them
    assert await statuses(services) == {"completed": 5, "called": 1}
    done_by_player = await services.read(
        lambda s: s.scalar(
            select(func.count(Ticket.id))
            .join(Appointment, Ticket.appointment_id == Appointment.id)
            .where(Appointment.status == TicketStatus.COMPLETED, Ticket.doctor_id == first)
        )
    )
    assert done_by_player == 5
    assert len(tokens_called(await board.drain())) == 6


def called_tickets() -> Any:
    return (
        select(Ticket.id)
        .join(Appointment, Ticket.appointment_id == Appointment.id)
        .where(Appointment.status == TicketStatus.CALLED)
    )


def test_a_scenario_day_becomes_clinic_minutes_from_its_opening() -> None:
    scenario = synthetic_scenario(2, days=1, patients=600, day=date(2030, 3, 4))
    [today] = scenario.days
    day = live_day(scenario)

    assert len(day.shifts) == len(scenario.layout.sessions)
    assert min(s.starts_min for s in day.shifts) == 0.0
    assert day.minutes == max(s.ends_min for s in day.shifts)
    kinds = [v.kind for v in day.visits]
    assert kinds.count(VisitKind.BOOKED) == len(today.requests)
    assert kinds.count(VisitKind.WALK_IN) == len(today.walk_ins)
    assert kinds.count(VisitKind.EMERGENCY) == len(today.emergencies)
    booked = [v for v in day.visits if v.kind is VisitKind.BOOKED]
    assert sum(v.arrives_min is None for v in booked) == sum(not r.shows for r in today.requests)
    assert all(v.patient is not None for v in day.visits)
    # bookings made before the day come first, earliest appointment first
    ahead = [v.slot_min for v in booked if v.booked_min <= 0]
    assert ahead == sorted(ahead) and booked[: len(ahead)] == [
        v for v in booked if v.booked_min <= 0
    ]


async def test_the_player_starts_and_stops_with_the_app(
    settings: Settings, engine: AsyncEngine, clock: Clock
) -> None:
    from server.app import create_app
    from server.runtime import runtime_of
    from server.services import clinic

    app = create_app(settings.model_copy(update={"demo_speed": 60.0}))
    clinic(app).clock = clock
    async with app.test_app():
        await clinic(app).run(lambda s: seed(s, clock(), day=False))
        demo = runtime_of(app).live_demo
        assert demo is not None and demo.task is not None
        assert not demo.task.done()
    assert demo.task.cancelled()  # stopped before the jobs and the database close
    assert demo.speed == 60.0


@pytest.mark.parametrize(
    ("speed", "shift_min", "slot", "places", "slots"),
    [
        (1.0, 540.0, 15, 1, 36),  # real time: the clinic's own slots
        (60.0, 540.0, 9, 36, 1),  # nine wall minutes: one slot of nine
        (60.0, 405.0, 7, 28, 1),  # 6.75 wall minutes: 7 overshoots least
        (20.0, 300.0, 5, 7, 3),
    ],
)
def test_a_shift_at_speed_is_cut_into_whole_slots_of_five_minutes_or_more(
    speed: float, shift_min: float, slot: int, places: int, slots: int
) -> None:
    t0 = datetime(2030, 3, 4, 9, tzinfo=UTC)
    wall = Timeline(t0, speed).session(0.0, shift_min, 15)
    assert (wall.slot_minutes, wall.places) == (slot, places)
    assert wall.starts_at == t0
    assert wall.ends_at == t0 + timedelta(minutes=slot * slots)
    assert wall.ends_at >= Timeline(t0, speed).at(shift_min)


async def test_days_follow_one_another_without_overlapping_sessions(
    live_server: LiveServer, clock: Clock
) -> None:
    services = live_server.services
    day = small_day(walk_in(5.0), walk_in(50.0))
    player = Player(
        services,
        lambda _n, _d: day,
        SPEED,
        fast_clock(services, clock, Timeline(clock(), SPEED), {}),
    )

    await player.run(days=2)

    assert [r.actions.get("complete") for r in player.records] == [2, 2]
    created = await services.read(
        lambda s: s.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "session.create")
        )
    )
    assert created == 4  # each day its own sessions: none kept from the day before
