"""Pure domain of service records: service minimums, EVV checks, the vocabulary of visits.

No I/O here: profiles arrive as values (see `service_records.policies.loader`), time is passed in.
"""
