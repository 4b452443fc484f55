"""Hand out the next token number of a department-day, race-free in the database."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import TokenCounter


async def next_token_number(session: AsyncSession, department_id: int, day: date) -> int:
    """Take the next number; the counter row stays locked until the caller commits.

    One upsert statement both creates the day's counter and increments it, so two
    desks never read the same number, and a rolled-back booking gives its number back.
    """
    values = {"department_id": department_id, "day": day, "last_number": 1}
    if session.get_bind().dialect.name == "sqlite":
        sqlite_stmt = sqlite_insert(TokenCounter).values(values)
        sqlite_stmt = sqlite_stmt.on_conflict_do_update(
            index_elements=["department_id", "day"],
            set_={"last_number": TokenCounter.last_number + 1},
        )
        await session.execute(sqlite_stmt)
    else:
        mysql_stmt = mysql_insert(TokenCounter).values(values)
        mysql_stmt = mysql_stmt.on_duplicate_key_update(last_number=TokenCounter.last_number + 1)
        await session.execute(mysql_stmt)
    number = await session.scalar(
        select(TokenCounter.last_number).where(
            TokenCounter.department_id == department_id, TokenCounter.day == day
        )
    )
    assert number is not None
    return number
