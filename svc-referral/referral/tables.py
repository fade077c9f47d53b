"""SQLAlchemy tables: its own metadata, with the chassis outbox and dedupe tables."""

from __future__ import annotations

from chassis.db import chassis_tables
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


CHASSIS = chassis_tables(Base.metadata)
