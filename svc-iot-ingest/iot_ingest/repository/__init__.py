"""Queries of one aggregate each (`uow.repo(AlarmRepository)`); repositories never commit."""
