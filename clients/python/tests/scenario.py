"""The client scenario against a live server, as a user's program would run it: create a signature with a
success and an error callback, watch it, run it, report start and completion as a worker would, observe DONE
and the callback's dispatch on the watch stream in order, suspend/resume another one, hit a lock conflict as
a typed error. Needs only the installed package: `MAGEFLOW_SERVER=host:port python scenario.py`. The test
suite runs it in-process (test_live_scenario.py) and from clean environments holding only the built wheel or
sdist (test_install.py)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, Awaitable, Callable, List, Type, TypeVar

import grpc

from mageflow_signatures import (
    Client,
    DispatchState,
    EventType,
    MageflowError,
    NotFound,
    SignatureEvent,
    SignatureLocked,
    Status,
    Watch,
)

EVENT_TIMEOUT = 15.0
E = TypeVar("E", bound=MageflowError)


async def raises(kind: Type[E], call: Awaitable[Any]) -> E:
    try:
        await call
    except kind as e:
        return e
    raise AssertionError(f"expected {kind.__name__}")


async def collect_until(
    watch: Watch, done: Callable[[List[SignatureEvent]], bool], timeout: float = EVENT_TIMEOUT
) -> List[SignatureEvent]:
    events: List[SignatureEvent] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not done(events):
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError("timed out; events so far:\n" + "\n".join(map(describe, events)))
        events.append(await watch.next_event(timeout=remaining))
    return events


def describe(ev: SignatureEvent) -> str:
    return f"r{ev.revision} {ev.type.name} {ev.key} {ev.status.name} run={ev.run_id!r}"


def index_of(events: List[SignatureEvent], pred: Callable[[SignatureEvent], bool]) -> int:
    for i, ev in enumerate(events):
        if pred(ev):
            return i
    return -1


async def scenario() -> None:
    tag = uuid.uuid4().hex[:8]
    async with Client() as client:  # MAGEFLOW_SERVER from the environment
        # A signature with a success and an error callback.
        on_success = await client.asign(f"scenario.on_success.{tag}", {"channel": "ok"})
        on_error = await client.asign(f"scenario.on_error.{tag}", {"channel": "err"})
        main = await client.asign(
            f"scenario.main.{tag}",
            {"x": 1},
            success_callbacks=[on_success],
            error_callbacks=[on_error.key],
            request_id=f"create-{tag}",
        )
        assert main.key.startswith("TaskSignature:")
        assert main.status is Status.PENDING
        assert main.success_callbacks == [on_success.key]
        assert main.error_callbacks == [on_error.key]
        assert main.return_field_name == "mageflow_results"
        # A retry with the same request id returns the same signature.
        again = await client.asign(
            f"scenario.main.{tag}", {"x": 1}, success_callbacks=[on_success], error_callbacks=[on_error.key],
            request_id=f"create-{tag}",
        )
        assert again.key == main.key
        loaded = await client.load_signature(main.key)
        assert loaded.kwargs == {"x": 1}

        # Watch the three from just after the main signature's creation (no race with the run below).
        keys = [main.key, on_success.key, on_error.key]
        watch = client.watch(keys, start_revision=main.revision + 1)
        try:
            run = await client.run_no_wait(main.key, {"msg": "hi", "x": 0})
            assert run.dispatch_state in (DispatchState.TRIGGERED, DispatchState.QUEUED)
            run_id = run.run_id
            if not run_id:
                # QUEUED: the recording dispatcher reports the run id on the watch stream.
                evs = await collect_until(
                    watch, lambda es: any(e.type is EventType.DISPATCHED and e.key == main.key for e in es)
                )
                run_id = next(e.run_id for e in evs if e.type is EventType.DISPATCHED and e.key == main.key)
            assert run_id

            # The worker side.
            start = await client.start_task(main.key, run_id, attempt=1)
            assert start.run, start.skip_reason
            assert start.signature is not None and start.signature.status is Status.ACTIVE
            report = await client.complete_task(main.key, run_id, {"answer": 42})
            assert report.signature is not None and report.signature.status is Status.DONE
            assert report.signature.last_status is Status.ACTIVE
            assert report.dispatched_callbacks == [on_success.key]

            # DONE, then the success callback's dispatch, in revision order; the error callback never runs.
            events = await collect_until(
                watch,
                lambda es: any(e.type is EventType.DISPATCHED and e.key == on_success.key for e in es),
            )
            revisions = [e.revision for e in events]
            assert revisions == sorted(revisions), "\n".join(map(describe, events))
            active = index_of(events, lambda e: e.key == main.key and e.status is Status.ACTIVE and e.type is EventType.STATUS_CHANGED)
            done = index_of(events, lambda e: e.key == main.key and e.status is Status.DONE and e.type is EventType.STATUS_CHANGED)
            dispatched = index_of(events, lambda e: e.key == on_success.key and e.type is EventType.DISPATCHED)
            assert 0 <= active < done < dispatched, "\n".join(map(describe, events))
            assert events[dispatched].run_id
            assert not any(
                e.key == on_error.key and e.type in (EventType.RUN_QUEUED, EventType.DISPATCHED) for e in events
            ), "\n".join(map(describe, events))
        finally:
            await watch.aclose()

        # The callback got the result under its return field name, merged with its own kwargs.
        callback = await client.load_signature(on_success.key)
        assert callback.run is not None
        assert callback.run.last_input == {"mageflow_results": {"answer": 42}, "channel": "ok"}
        final = await client.load_signature(main.key)
        assert final.status is Status.DONE
        assert final.run is not None and final.run.result == {"answer": 42}

        # Suspend and resume another one.
        other = await client.asign(f"scenario.other.{tag}", {"y": 2})
        suspended = await client.suspend(other.key)
        assert suspended.status is Status.SUSPENDED and suspended.last_status is Status.PENDING
        again_suspended = await client.suspend(other.key)  # a no-op success
        assert again_suspended.status is Status.SUSPENDED
        resumed = await client.resume(other.key)
        assert resumed.status is Status.PENDING and resumed.last_status is Status.SUSPENDED

        # A lock conflict, and its reason.
        async with client.lock(other.key, ttl=30, owner="scenario") as lease:
            assert lease.lock_id
            err = await raises(SignatureLocked, client.lock(other.key, ttl=5, owner="intruder").acquire())
            assert err.code is grpc.StatusCode.ABORTED
            assert err.reason == "SIGNATURE_LOCKED"
            assert err.domain == "mageflow.dev"
            assert err.expire_time is not None
            await raises(SignatureLocked, client.suspend(other.key))
            held = await client.suspend(other.key, lock_id=lease.lock_id)
            assert held.status is Status.SUSPENDED
        # Released on exit: a new lease can be taken at once.
        async with client.lock(other.key, ttl=5, owner="next") as lease2:
            assert lease2.lock_id and lease2.lock_id != lease.lock_id

        missing = await raises(NotFound, client.load_signature("TaskSignature:00000000-0000-4000-8000-000000000000"))
        assert missing.reason == "SIGNATURE_NOT_FOUND"


if __name__ == "__main__":
    asyncio.run(scenario())
    print("scenario: passed")
