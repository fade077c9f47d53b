from chassis.migrations import run_migrations_env
from subsidy.tables import Base

run_migrations_env(Base.metadata)
