"""The pure core of iot-ingest: devices, metrics, rules and alarms. No I/O, time is passed in."""
