# HomeBed: the two commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help run demo test test-stress chaos lint schemas infra-up infra-down topics bench-kafka bench-ingest bench-alarm bench-gateway bench-records ops-files bench-settlement bench-notify

help:
	@echo "make run           start Kafka and the six services on SQLite under var/ (Ctrl-C stops all)"
	@echo "make demo          make run, then a simulated district's month in minutes (stack left running)"
	@echo "make test          ruff, mypy, contracts, unit + integration tests (real Kafka, PostgreSQL)"
	@echo "make test-stress   make test ten times in a row with one core kept busy (COUNT=n)"
	@echo "make chaos         minutes-long fault scenarios on their own broker and PostgreSQL"
	@echo "make schemas       regenerate the checked-in JSON Schemas and AsyncAPI document"
	@echo "make ops-files     regenerate the Grafana dashboards and the Kubernetes manifests"
	@echo "make bench-kafka   raw producer baseline against a local broker"
	@echo "make bench-ingest | bench-alarm | bench-gateway   service benchmarks"
	@echo "make bench-settlement   a month of subsidy settlement, 100,000 beds (svc-subsidy)"

run:
	@bash scripts/run.sh

demo:
	@bash scripts/demo.sh $(ARGS)

test:
	@bash scripts/test.sh

test-stress:
	@COUNT=$(COUNT) bash scripts/test-stress.sh

chaos:
	@bash scripts/chaos.sh

lint:
	@source scripts/ensure-tools.sh && $$UV run ruff check . && $$UV run ruff format --check .

schemas:
	@source scripts/ensure-tools.sh && $$UV run python -m homebed_schemas.export

ops-files:
	@source scripts/ensure-tools.sh && $$UV run python deploy/grafana/dashboards.py && $$UV run python deploy/k8s/generate.py

infra-up:
	@bash scripts/infra.sh start dev

infra-down:
	@bash scripts/infra.sh stop dev

bench-kafka:
	@bash scripts/bench.sh kafka_baseline

bench-ingest:
	@bash scripts/bench.sh ingest_bench

bench-alarm:
	@bash scripts/bench.sh alarm_bench $(ARGS)

bench-notify:
	@bash scripts/bench.sh notify_bench $(ARGS)

bench-gateway:
	@bash scripts/bench.sh gateway_bench

bench-records:
	@export HOMEBED_TEST_PG_PORT=$${HOMEBED_TEST_PG_PORT:-56132} HOMEBED_TEST_KAFKA_PORT=$${HOMEBED_TEST_KAFKA_PORT:-39792} HOMEBED_INFRA_DIR=$${HOMEBED_INFRA_DIR:-/tmp/homebed-infra-recbench}; source scripts/ensure-tools.sh && bash scripts/infra.sh start test >/dev/null && trap 'bash scripts/infra.sh stop test >/dev/null' EXIT && $$UV run python bench/records_bench.py --dsn postgresql://postgres@127.0.0.1:$$HOMEBED_TEST_PG_PORT/postgres

bench-settlement:
	@export HOMEBED_TEST_PG_PORT=$${HOMEBED_TEST_PG_PORT:-56232} HOMEBED_TEST_KAFKA_PORT=$${HOMEBED_TEST_KAFKA_PORT:-39892} HOMEBED_INFRA_DIR=$${HOMEBED_INFRA_DIR:-/tmp/homebed-infra-subbench}; source scripts/ensure-tools.sh && bash scripts/infra.sh start test >/dev/null && trap 'bash scripts/infra.sh stop test >/dev/null' EXIT && $$UV run python bench/subsidy_bench.py --dsn postgresql://postgres@127.0.0.1:$$HOMEBED_TEST_PG_PORT/postgres $(ARGS)

.PHONY: bench-lane-cpu
bench-lane-cpu:
	@export HOMEBED_TEST_PG_PORT=$${HOMEBED_TEST_PG_PORT:-56332} HOMEBED_TEST_KAFKA_PORT=$${HOMEBED_TEST_KAFKA_PORT:-39992} HOMEBED_INFRA_DIR=$${HOMEBED_INFRA_DIR:-/tmp/homebed-infra-lanecpu}; source scripts/ensure-tools.sh && bash scripts/infra.sh start test >/dev/null && trap 'bash scripts/infra.sh stop test >/dev/null' EXIT && $$UV run python bench/lane_cpu.py --dsn postgresql://postgres@127.0.0.1:$$HOMEBED_TEST_PG_PORT/postgres --bootstrap 127.0.0.1:$$HOMEBED_TEST_KAFKA_PORT $(ARGS)
