"""Insert an ORM object with one Core statement and keep it in the session as if loaded."""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from sqlalchemy import Column, CursorResult, Insert, Table, insert, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from server.models.base import Base


async def insert_loaded(db: AsyncSession, row: Base) -> None:
    """INSERT `row` now and attach it to the session as a clean, fully loaded object.

    The hot paths skip the unit of work: its flush bookkeeping costs more than the
    statement. Every column must be set or have a plain default, since the row is never
    read back; the caller sets relationships with `set_committed_value` afterwards.
    """
    mapper = inspect(type(row))
    values: dict[str, Any] = {}
    for prop in mapper.column_attrs:
        column = cast(Column[Any], prop.columns[0])
        if column.primary_key or column.computed is not None:
            continue
        if prop.key not in row.__dict__:
            setattr(row, prop.key, _plain_default(column))
        values[column.key] = getattr(row, prop.key)
    statement = _insert(cast(Table, mapper.local_table))
    result = cast(CursorResult[Any], await db.execute(statement, values))
    (pk,), inserted = mapper.primary_key, result.inserted_primary_key
    if inserted is None:
        raise RuntimeError(f"inserting into {mapper.local_table} returned no primary key")
    setattr(row, mapper.get_property_by_column(pk).key, inserted[0])
    make_transient_to_detached(row)
    db.add(row)


@cache
def _insert(table: Table) -> Insert:
    # One statement per table, values as parameters: building one per row costs more Python.
    return insert(table)


def _plain_default(column: Column[Any]) -> Any:
    default = column.default
    if default is None:
        return None
    if default.is_scalar:
        return default.arg  # type: ignore[attr-defined]
    raise TypeError(f"set {column.key} explicitly: its default is computed")
