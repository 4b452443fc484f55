"""Request and response bodies of priority categories and of a check-in that names one."""

from __future__ import annotations

from pydantic import BaseModel, Field, StrictBool, StrictInt, field_validator

from server.api.fields import Id, Line
from server.api.schemas import Strict

WEIGHT = Field(ge=1, le=10, description="one minute of this patient's wait counts this many")
MAX_WAIT = Field(None, ge=1, le=720, description="minutes from arrival; null: no maximum wait")


def _named(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        raise ValueError("a name is required")
    return value


class CategoryIn(Strict):
    name: Line = Field(min_length=1, max_length=60, examples=["Aged 65 or over"])
    weight: StrictInt = WEIGHT
    max_wait_min: StrictInt | None = MAX_WAIT

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return _named(value)


class CategoryPatch(Strict):
    """Only the fields given change; `max_wait_min: null` removes the maximum wait."""

    # Absent: unchanged. Only max_wait_min may be null.
    name: Line | None = Field(None, min_length=1, max_length=60)
    weight: StrictInt | None = Field(None, ge=1, le=10)
    max_wait_min: StrictInt | None = Field(None, ge=1, le=720)
    active: StrictBool | None = None

    @field_validator("name", "weight", "active", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may not be null (leave the field out to keep it)")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return _named(value)


class CheckInIn(Strict):
    priority_category_id: Id | None = Field(
        None, description="a priority category (aged 65+, pregnancy, ...) chosen at the desk"
    )


class CategoryOut(BaseModel):
    """A priority category; its name is shown to staff only."""

    id: int
    name: str
    weight: int
    max_wait_min: int | None
    active: bool


class CategoriesOut(BaseModel):
    categories: list[CategoryOut]
