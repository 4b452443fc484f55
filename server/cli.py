"""The `clinic` command: serve, migrate, seed, manage users."""

from __future__ import annotations

import asyncio
import getpass
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
import uvicorn

from server import diagnostics
from server.config import Settings

if TYPE_CHECKING:  # scikit-learn takes seconds to import: `clinic worker --check` must not wait
    from server.scoring import ModelScorer


class ClinicGroup(click.Group):
    """The `clinic` commands; `ml` is imported only when named (scikit-learn takes seconds)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), "ml"})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name != "ml":
            return super().get_command(ctx, name)
        try:
            from server.ml.cli import ml_group
        except ImportError:  # the ML commands are optional while they are being built
            return None
        return ml_group


@click.group(cls=ClinicGroup)
def main() -> None:
    """Run and manage the clinic queue."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # seven lines a run


@main.group()
def i18n() -> None:
    """Message catalogues: server/locale (gettext) and web/static/i18n (browser scripts)."""


@i18n.command("extract")
def i18n_extract() -> None:
    """Add every text of the templates, scripts and error codes to every language's catalogue."""
    from server import catalogues

    for line in catalogues.extract():
        click.echo(line)
    left = catalogues.problems()
    click.echo(f"{len(left)} texts to translate or fix (`clinic i18n check` lists them)")


@i18n.command("check")
def i18n_check() -> None:
    """List texts outside the catalogues and translations missing in a language; exit 1 if any."""
    from server import catalogues

    found = catalogues.problems()
    for problem in found:
        click.echo(str(problem))
    if found:
        raise SystemExit(1)
    click.echo("catalogues complete")


@main.command()
@click.option("--host", default=None, help="interface to listen on (default: settings)")
@click.option("--port", default=None, type=int, help="port (default: settings)")
def serve(host: str | None, port: int | None) -> None:
    """Serve the app and its sockets."""
    for name, value in (("CLINIC_HOST", host), ("CLINIC_PORT", port)):
        if value is not None:  # the app reads its settings, and so its public URL, from these
            os.environ[name] = str(value)
    settings = Settings()
    diagnostics.install()  # kill -USR1 / -USR2: thread and task stacks in the log
    uvicorn.run(
        "server.asgi:create_asgi",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
        # uvicorn would believe X-Forwarded-For from 127.0.0.1; the app decides instead,
        # from CLINIC_TRUSTED_PROXIES (none by default), so that nobody resets login limits.
        proxy_headers=False,
        ws="websockets-sansio",
        # Updates are about a kilobyte; compressing each for each socket (browsers offer
        # permessage-deflate) would cost more CPU per broadcast than sending it.
        ws_per_message_deflate=False,
    )


@main.command()
@click.option(
    "--queue",
    type=click.Choice(["live", "nightly"]),
    default="live",
    show_default=True,
    help="live: re-plans, messages, reminders, allocations; nightly: the no-show retrain",
)
@click.option("--check", is_flag=True, help="exit 0 if the worker is healthy, 1 if not")
def worker(queue: str, check: bool) -> None:
    """Run an arq worker against REDIS_URL; it rides out Redis outages (supervise it anyway)."""
    if not Settings().redis_url:
        raise click.UsageError("a worker needs REDIS_URL; without it the server runs jobs itself")
    # The workers import the server, never the other way: hand this process over to them
    # (same process id, so a supervisor or a test's kill reaches the worker itself).
    command = [sys.executable, "-m", "workers", "--queue", queue, *(["--check"] if check else [])]
    sys.stdout.flush()
    os.execv(sys.executable, command)


@main.group()
def db() -> None:
    """Manage the database schema."""


@db.command("upgrade")
@click.option("--revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply the migrations under sql/."""
    from server.migrate import upgrade

    upgrade(Settings().database_url, revision)
    click.echo("database is at the latest schema")


@db.command("ddl")
def db_ddl() -> None:
    """Print the schema as MySQL/MariaDB DDL."""
    from server.migrate import mysql_ddl

    click.echo(mysql_ddl())


@main.group()
def demo() -> None:
    """The demo clinic."""


async def _seed(settings: Settings, day: bool = True) -> bool:
    from sqlalchemy.ext.asyncio import AsyncSession

    from server.demo import is_seeded, seed
    from server.runtime import ProcessRole, build_runtime

    scorer = await _demo_model(settings)
    async with build_runtime(settings, ProcessRole.TOOL) as runtime:
        services = runtime.services

        async def work(db: AsyncSession) -> bool:
            if await is_seeded(db):
                return False
            await seed(db, services.clock(), scorer=scorer, day=day)
            return True

        return await services.run(work)


async def _demo_model(settings: Settings) -> ModelScorer:
    """Train a no-show model on synthetic history the first time, so the demo scores bookings."""
    from server.ml.jobs import retrain_if_better
    from server.ml.registry import active_version
    from server.ml.synth import generate
    from server.scoring import ModelScorer

    if active_version(settings.models_path) is None:
        click.echo("training a first no-show model on synthetic history (once)…")
        result = await retrain_if_better(
            generate(n_patients=1500, days=40, seed=1), settings.models_path
        )
        click.echo(f"  {result.reason}")
    return ModelScorer(settings.models_path)


def _print_logins(settings: Settings) -> None:
    from server.config import LOCAL_HOSTS
    from server.demo import DEMO_DISPLAY_KEY, LOGINS, lan_address

    click.echo(f"\n  {settings.clinic_name} is at {settings.public_url}")
    if settings.host in ("0.0.0.0", "::") and (address := lan_address()) is not None:
        click.echo(f"  on your network: http://{address}:{settings.port}")
    elif settings.host not in LOCAL_HOSTS:
        click.echo(f"  listening on {settings.host}:{settings.port}")
    click.echo("")
    for login in LOGINS:
        click.echo(f"  {login.role:<8} username {login.username:<8} password {login.password}")
    click.echo(f"  TV board {settings.public_url}/board?key={DEMO_DISPLAY_KEY}")
    click.echo(f"  API docs {settings.public_url}/api/docs\n")


@demo.command("seed")
@click.option("--live", is_flag=True, help="no sessions or patients today: a live demo plays them")
def demo_seed(live: bool) -> None:
    """Create the demo clinic unless the database already has one."""
    settings = Settings()
    created = asyncio.run(_seed(settings, day=not live))
    click.echo(
        "demo clinic created" if created else "the database already holds a clinic; left as it is"
    )
    _print_logins(settings)


@demo.command("run")
@click.option("--live", is_flag=True, help="play simulated clinic days through the server")
@click.option(
    "--speed",
    default=60.0,
    type=click.FloatRange(min=0.1, max=600),
    show_default=True,
    help="with --live: clinic minutes per wall-clock minute (1 = real time)",
)
def demo_run(live: bool, speed: float) -> None:
    """Migrate, seed if empty, print the logins and serve (with --live, a moving clinic)."""
    from server.demo import port_problem

    settings = Settings()
    problem = port_problem(settings.host, settings.port)
    if problem is not None:  # before anything is printed: a second demo stops here
        click.echo(f"error: {problem}", err=True)
        sys.exit(1)
    from server.migrate import upgrade  # after: importing alembic logs its plugins

    upgrade(settings.database_url)
    asyncio.run(_seed(settings, day=not live))
    _print_logins(settings)
    if live:
        os.environ["CLINIC_DEMO_SPEED"] = f"{speed:g}"  # read by the app that serve builds
        click.echo(f"  live: a clinic day plays at {speed:g}x (one clinic minute every ", nl=False)
        click.echo(f"{60 / speed:.3g} s); watch the TV board, /desk and /admin\n")
    serve.callback(None, None)  # type: ignore[misc]


@main.group()
def user() -> None:
    """Manage logins."""


@user.command("create")
@click.option("--username", required=True)
@click.option(
    "--role", required=True, type=click.Choice(["admin", "doctor", "nurse", "staff", "patient"])
)
@click.option("--full-name", default="")
@click.option("--password", default=None, help="prompted when left out")
def user_create(username: str, role: str, full_name: str, password: str | None) -> None:
    """Create a login."""
    from server.actions.admin import create_user
    from server.auth.actor import SYSTEM
    from server.auth.passwords import hash_password_sync
    from server.errors import DomainError
    from server.models import Role
    from server.runtime import ProcessRole, build_runtime

    secret = password or getpass.getpass("password: ")
    if len(secret) < 10:
        raise click.UsageError("passwords have at least 10 characters")

    async def run() -> None:
        async with build_runtime(Settings(), ProcessRole.TOOL) as runtime:
            services = runtime.services
            await services.run(
                lambda db: create_user(
                    db,
                    SYSTEM,
                    username=username,
                    password_hash=hash_password_sync(secret),
                    role=Role(role),
                    full_name=full_name or username,
                    now=services.clock(),
                )
            )

    try:
        asyncio.run(run())
    except DomainError as error:
        click.echo(f"error: {error.message}", err=True)
        sys.exit(1)
    click.echo(f"created {role} {username}")


@user.command("deactivate")
@click.option("--username", required=True)
def user_deactivate(username: str) -> None:
    """Stop a login: it can no longer log in, and its login sessions and tokens end at once."""
    from sqlalchemy import select
    from sqlalchemy.ext.asyncio import AsyncSession

    from server.actions.accounts import deactivate_user
    from server.auth.actor import SYSTEM
    from server.models import User
    from server.runtime import ProcessRole, build_runtime

    async def run() -> bool:
        async with build_runtime(Settings(), ProcessRole.TOOL) as runtime:
            services = runtime.services

            async def work(db: AsyncSession) -> bool:
                user_id = await db.scalar(select(User.id).where(User.username == username))
                if user_id is None:
                    return False
                await deactivate_user(db, SYSTEM, user_id=user_id, now=services.clock())
                return True

            return await services.run(work)

    if not asyncio.run(run()):
        click.echo(f"error: no user {username}", err=True)
        sys.exit(1)
    click.echo(f"deactivated {username}; their login sessions and tokens are ended")


@main.command()
@click.option("--policies", default="fcfs,flat,predictive,predictive-base-rate", show_default=True)
@click.option("--days", default=5, show_default=True, type=click.IntRange(1, 60))
@click.option("--replications", default=3, show_default=True, type=click.IntRange(1, 50))
@click.option("--appointments", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--train", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--out", default="var/simulation", show_default=True, type=click.Path(path_type=Path))
@click.option("--database-url", default=None, help="MariaDB URL (emptied!); default SQLite files")
@click.option("--max-departments", default=None, type=click.IntRange(1, 1000))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 16))
@click.option("--resequence-limit", default=0.3, show_default=True, type=float)
@click.option("--allocation-limit", default=2.0, show_default=True, type=float)
def simulate(
    policies: str,
    days: int,
    replications: int,
    appointments: Path | None,
    train: Path | None,
    seed: int,
    out: Path,
    database_url: str | None,
    max_departments: int | None,
    workers: int,
    resequence_limit: float,
    allocation_limit: float,
) -> None:
    """Compare scheduling policies on simulated clinic days; print one JSON line last."""
    import json

    from tqdm import tqdm  # type: ignore[import-untyped]

    from server.simulation.policies import policy
    from server.simulation.report import write
    from server.simulation.study import Study, run_study

    names = tuple(p.strip() for p in policies.split(",") if p.strip())
    try:
        for name in names:
            policy(name)
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    logging.getLogger().setLevel(logging.WARNING)
    study = Study(
        policies=names,
        days=days,
        replications=replications,
        seed=seed,
        appointments=appointments,
        train=train,
        database_url=database_url,
        max_departments=max_departments,
        workers=workers,
        resequence_time_limit_s=resequence_limit,
        allocation_time_limit_s=allocation_limit,
    )
    bar = tqdm(total=len(names) * replications, desc="policy-replications", file=sys.stderr)

    def progress(done: int, total: int) -> None:
        bar.update(done - bar.n)

    outcome = run_study(study, progress)
    bar.close()
    line = write(outcome, out)
    click.echo(json.dumps(line))
