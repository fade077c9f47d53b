"""Kafka: producer, outbox relay, consumer runner with dedupe and DLQ, topic bootstrap."""
