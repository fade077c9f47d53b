import asyncio

from chassis.write_lock import PriorityLock


async def test_urgent_waiters_go_before_normal_ones() -> None:
    lock = PriorityLock()
    order: list[str] = []
    await lock.acquire(urgent=False)

    async def take(name: str, urgent: bool) -> None:
        await lock.acquire(urgent=urgent)
        order.append(name)
        lock.release()

    waiting = [
        asyncio.create_task(take("batch-1", False)),
        asyncio.create_task(take("batch-2", False)),
        asyncio.create_task(take("alarm", True)),
    ]
    await asyncio.sleep(0)
    lock.release()
    await asyncio.gather(*waiting)
    assert order == ["alarm", "batch-1", "batch-2"]


async def test_a_cancelled_waiter_does_not_keep_the_lock() -> None:
    lock = PriorityLock()
    await lock.acquire(urgent=False)
    waiter = asyncio.create_task(lock.acquire(urgent=True))
    await asyncio.sleep(0)
    waiter.cancel()
    await asyncio.sleep(0)
    lock.release()
    await asyncio.wait_for(lock.acquire(urgent=False), 1)
