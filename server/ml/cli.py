"""`clinic ml`: train, evaluate and report on the no-show model."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import click
from tqdm import tqdm  # type: ignore[import-untyped]

from server.ml.dataset import read_csv
from server.ml.evaluation import Evaluation, evaluate, split_by_date
from server.ml.features import ApptRecord
from server.ml.models import CANDIDATES
from server.ml.registry import DEFAULT_REGISTRY_DIR, save_model
from server.ml.training import Progress, select_and_train


@contextmanager
def _progress_bar(total: int) -> Iterator[Progress]:
    with tqdm(total=total, file=sys.stderr, unit="step") as bar:

        def step(label: str) -> None:
            bar.set_description(label)
            bar.update(1)

        yield step


def _models(value: str) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    unknown = sorted(set(names) - set(CANDIDATES))
    if unknown:
        raise click.BadParameter(f"unknown models {unknown}; choose from {list(CANDIDATES)}")
    return names


def _periods(
    train: Path | None, test: Path | None, data: Path | None, split_date: date | None
) -> tuple[list[ApptRecord], list[ApptRecord]]:
    if data is not None and split_date is not None and train is None and test is None:
        return split_by_date(read_csv(data), split_date)
    if train is not None and test is not None and data is None:
        return read_csv(train), read_csv(test)
    raise click.UsageError("give --train A.csv --test B.csv, or --data FILE --split-date DAY")


_period_options = [
    click.option("--train", "train", type=click.Path(exists=True, path_type=Path)),
    click.option("--test", "test", type=click.Path(exists=True, path_type=Path)),
    click.option("--data", type=click.Path(exists=True, path_type=Path)),
    click.option("--split-date", type=click.DateTime(["%Y-%m-%d"]), help="first test day"),
    click.option("--models", default=",".join(CANDIDATES), show_default=True),
]


def _with_period_options(f: click.decorators.FC) -> click.decorators.FC:
    for option in reversed(_period_options):
        f = option(f)
    return f


def _run_evaluation(
    train: Path | None,
    test: Path | None,
    data: Path | None,
    split: datetime | None,
    models: str,
) -> Evaluation:
    split_day = split.date() if split is not None else None
    train_rows, test_rows = _periods(train, test, data, split_day)
    names = _models(models)
    with _progress_bar(1 + 2 * len(names)) as step:
        return evaluate(train_rows, test_rows, names, step)


@click.group("ml")
def ml_group() -> None:
    """Train, evaluate and report on the no-show model."""


@ml_group.command("train")
@click.option("--data", type=click.Path(exists=True, path_type=Path), help="history CSV")
@click.option("--from-db", is_flag=True, help="train on the project's own database")
@click.option("--database-url", envvar="CLINIC_DATABASE_URL", help="for --from-db")
@click.option(
    "--registry", type=click.Path(path_type=Path), default=DEFAULT_REGISTRY_DIR, show_default=True
)
@click.option("--activate/--no-activate", default=True, show_default=True)
@click.option("--models", default=",".join(CANDIDATES), show_default=True)
def train_command(
    data: Path | None,
    from_db: bool,
    database_url: str | None,
    registry: Path,
    activate: bool,
    models: str,
) -> None:
    """Choose and fit a model on appointment history, and save it in the registry."""
    if (data is None) == (not from_db):
        raise click.UsageError("give exactly one of --data FILE and --from-db")
    records = read_csv(data) if data is not None else _history_from_db(database_url)
    names = _models(models)
    with _progress_bar(2 + len(names)) as step:
        selection = select_and_train(records, names, step)
    meta = save_model(registry, selection.best, activate=activate)
    click.echo(json.dumps({"saved": meta.version, "active": activate, **selection.validation}))


def _history_from_db(database_url: str | None) -> list[ApptRecord]:
    if not database_url:
        raise click.UsageError("--from-db needs --database-url or CLINIC_DATABASE_URL")
    # Imported here so that training from a CSV needs no database driver.
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from server.ml.db_source import load_history_from_db

    async def load() -> list[ApptRecord]:
        engine = create_async_engine(database_url)
        try:
            async with async_sessionmaker(engine)() as db:
                return await load_history_from_db(db)
        finally:
            await engine.dispose()

    return asyncio.run(load())


@ml_group.command("evaluate")
@_with_period_options
def evaluate_command(
    train: Path | None,
    test: Path | None,
    data: Path | None,
    split_date: datetime | None,
    models: str,
) -> None:
    """Train every model on A, score B, and print one JSON object."""
    result = _run_evaluation(train, test, data, split_date, models)
    click.echo(json.dumps(result.summary))


@ml_group.command("report")
@_with_period_options
@click.option(
    "--out", type=click.Path(path_type=Path), default=Path("artifacts/ml-report"), show_default=True
)
def report_command(
    train: Path | None,
    test: Path | None,
    data: Path | None,
    split_date: datetime | None,
    models: str,
    out: Path,
) -> None:
    """Write ROC and calibration curves, feature importances and an HTML page."""
    from server.ml.report import write_report  # matplotlib loads only for this command

    result = _run_evaluation(train, test, data, split_date, models)
    page = write_report(result, out)
    click.echo(str(page))


def main(argv: Sequence[str] | None = None) -> None:
    """Run the `ml` group on its own."""
    ml_group.main(args=list(argv) if argv is not None else None, prog_name="clinic ml")


if __name__ == "__main__":
    main()
