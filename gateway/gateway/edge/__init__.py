"""Edge policies: route table, rate limits, circuit breakers, retries, request ids."""
