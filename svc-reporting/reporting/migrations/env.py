from chassis.migrations import run_migrations_env
from reporting.tables import Base

run_migrations_env(Base.metadata)
