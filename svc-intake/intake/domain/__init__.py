"""The intake domain: pure Python, no FastAPI, SQLAlchemy or Kafka imports."""
