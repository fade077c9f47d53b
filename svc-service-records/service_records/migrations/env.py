from chassis.migrations import run_migrations_env
from service_records.tables import Base

run_migrations_env(Base.metadata)
