"""Use cases: each owns its transaction (`async with uow: ... await uow.commit()`)."""
