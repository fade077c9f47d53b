from chassis.migrations import run_migrations_env
from iot_ingest.tables import metadata

run_migrations_env(metadata)
