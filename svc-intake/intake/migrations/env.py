"""Alembic environment of svc-intake (the chassis runs it)."""

from chassis.migrations import run_migrations_env
from intake.tables import Base

run_migrations_env(Base.metadata)
