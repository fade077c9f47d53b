from chassis.migrations import run_migrations_env
from gateway.auth.partner_keys import metadata

run_migrations_env(metadata)
