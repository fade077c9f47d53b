from chassis.migrations import run_migrations_env
from notify.tables import Base

run_migrations_env(Base.metadata)
