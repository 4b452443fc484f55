"""Hand out the next token number of a department-day, race-free in the database."""

from __future__ import annotations

from datetime import date
from typing import cast

from sqlalchemy import Table, bindparam, func
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.models import TokenCounter

# Built once per dialect: constructing the upsert per call costs more Python than running it.
# On the table, not the entity: with parameters, an entity's insert is an ORM bulk insert.
COUNTERS = cast(Table, TokenCounter.__table__)
SQLITE_UPSERT = (
    sqlite_insert(COUNTERS)
    .values(department_id=bindparam("department"), day=bindparam("on_day"), last_number=1)
    .on_conflict_do_update(
        index_elements=["department_id", "day"],
        set_={"last_number": COUNTERS.c.last_number + 1},
    )
    .returning(COUNTERS.c.last_number)
)
# MySQL's documented sequence idiom: LAST_INSERT_ID(expr) hands the new value back in the
# statement's reply, so no second query is needed, on both the insert and the update.
_mysql = mysql_insert(COUNTERS).values(
    department_id=bindparam("department"),
    day=bindparam("on_day"),
    last_number=func.last_insert_id(1),
)
MYSQL_UPSERT = _mysql.on_duplicate_key_update(
    last_number=func.last_insert_id(COUNTERS.c.last_number + 1)
)


async def next_token_number(db: AsyncSession, department_id: int, day: date) -> int:
    """Take the next number; the counter row stays locked until the caller commits.

    One upsert statement both creates the day's counter and increments it, so two
    desks never read the same number, and a rolled-back booking gives its number back.
    """
    params = {"department": department_id, "on_day": day}
    if db.get_bind().dialect.name == "sqlite":
        return int((await db.execute(SQLITE_UPSERT, params)).scalar_one())
    result = await db.execute(MYSQL_UPSERT, params)
    number = result.lastrowid  # type: ignore[attr-defined]
    if not number:
        raise RuntimeError("LAST_INSERT_ID did not carry the token number")
    return int(number)
