"""SQLAlchemy tables of svc-subsidy: its own metadata, with the chassis outbox and dedupe tables."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from chassis.db import chassis_tables


class Base(DeclarativeBase):
    pass


CHASSIS_TABLES = chassis_tables(Base.metadata)
