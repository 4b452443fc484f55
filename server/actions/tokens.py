"""Hand out the next token number of a department-day, race-free in the database."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import TokenCounter


async def next_token_number(session: AsyncSession, department_id: int, day: date) -> int:
    """Take the next number; the counter row stays locked until the caller commits.

    One upsert statement both creates the day's counter and increments it, so two
    desks never read the same number, and a rolled-back booking gives its number back.
    """
    if session.get_bind().dialect.name == "sqlite":
        upsert = (
            sqlite_insert(TokenCounter)
            .values(department_id=department_id, day=day, last_number=1)
            .on_conflict_do_update(
                index_elements=["department_id", "day"],
                set_={"last_number": TokenCounter.last_number + 1},
            )
            .returning(TokenCounter.last_number)
        )
        return int((await session.execute(upsert)).scalar_one())
    # MySQL's documented sequence idiom: LAST_INSERT_ID(expr) hands the new value back in
    # the statement's reply, so no second query is needed, on both the insert and the update.
    upsert_mysql = (
        mysql_insert(TokenCounter)
        .values(department_id=department_id, day=day, last_number=func.last_insert_id(1))
        .on_duplicate_key_update(last_number=func.last_insert_id(TokenCounter.last_number + 1))
    )
    result = await session.execute(upsert_mysql)
    number = result.lastrowid  # type: ignore[attr-defined]
    assert number, "LAST_INSERT_ID did not carry the token number"
    return int(number)
