-- One database per service (docker-compose only; make run uses SQLite files under var/).
CREATE DATABASE gateway;
CREATE DATABASE intake;
CREATE DATABASE service_records;
CREATE DATABASE iot_ingest;
CREATE DATABASE referral;
CREATE DATABASE subsidy;
CREATE DATABASE reporting;
CREATE DATABASE notify;
