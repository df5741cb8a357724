"""A MageFlow program (tests/mageflow_programs/orders.py, written against MageFlow's own API) runs against
the live service with its imports changed from `mageflow` to this package's `mageflow` module and nothing
else; what it observes is what MageFlow's reference describes. The worker side of the run is played with
the plain client (StartTask/CompleteTask), as a worker helper would."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, Iterator, List

import pytest

from mageflow_signatures import Client, DispatchState, SignatureLocked, Status
from mageflow_signatures.mageflow import PauseActionTypes, SignatureStatus, TaskSignature, configure

from .conftest import LiveServer

PACKAGE = "mageflow_signatures.mageflow"
PROGRAM = Path(__file__).parent / "mageflow_programs" / "orders.py"


def port(source: str) -> str:
    """What a user does: `import mageflow` → `import <PACKAGE> as mageflow`, `from mageflow.x` → `from <PACKAGE>.x`."""
    source = re.sub(r"^import mageflow$", f"import {PACKAGE} as mageflow", source, flags=re.M)
    return re.sub(r"^from mageflow\.", f"from {PACKAGE}.", source, flags=re.M)


def load_ported() -> ModuleType:
    original = PROGRAM.read_text()
    ported = port(original)
    changed = [l for l in difflib.ndiff(original.splitlines(), ported.splitlines()) if l[:2] in ("- ", "+ ")]
    assert all(re.match(r"[-+] (import|from) ", l) for l in changed), changed
    assert len(changed) == 4, changed  # two import lines, before and after
    module = ModuleType("ported_orders")
    module.__file__ = str(PROGRAM)
    exec(compile(ported, str(PROGRAM), "exec"), module.__dict__)
    return module


@pytest.fixture
def connected(live_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The program itself says nothing about where the service is: the environment does."""
    monkeypatch.setenv("MAGEFLOW_SERVER", live_server.grpc_address)
    configure()  # forget a client made for an earlier test's server
    yield


async def test_the_ported_program_behaves_as_mageflow_describes(live_server: LiveServer, connected: None) -> None:
    async def another_process(key: str) -> List[BaseException]:
        refusals: List[BaseException] = []
        async with Client(live_server.grpc_address) as other:
            for attempt in (other.resume(key), other.delete(key)):
                try:
                    await attempt
                except BaseException as e:
                    refusals.append(e)
        return refusals

    seen: Dict[str, Any] = await load_ported().main(another_process)

    order: TaskSignature = seen["order"]
    assert order.key.startswith("TaskSignature:")
    assert order.task_name == "process-order"
    assert order.kwargs == {"priority": "high"}  # keyword arguments become kwargs
    assert order.input_schema is not None and order.input_schema["required"] == ["order_id", "items", "priority"]
    assert order.creation_time is not None
    assert len(order.success_callbacks) == 1 and len(order.error_callbacks) == 1

    assert seen["after_suspend"] is SignatureStatus.SUSPENDED
    assert seen["after_resume"] is SignatureStatus.PENDING  # the previous status is restored

    parked = seen["run_while_suspended"]
    assert parked.dispatch_state is DispatchState.PARKED and parked.run_id == ""  # not sent to Hatchet
    run = seen["run"]  # resume sent it
    assert run.attempt == 2 and run.dispatch_state in (DispatchState.QUEUED, DispatchState.TRIGGERED)
    assert run.last_input == {"order_id": 7, "items": ["book"], "priority": "high"}

    paused = seen["cleanup_paused"]
    assert (paused.status, paused.last_status) == (SignatureStatus.SUSPENDED, SignatureStatus.PENDING)
    assert seen["cleanup_interrupted"] is SignatureStatus.INTERRUPTED

    # Inside lock_task the holder suspended it; a change from outside the lock was refused and said why.
    refusals = seen["changed_while_locked"]
    assert len(refusals) == 2 and all(isinstance(e, SignatureLocked) for e in refusals), refusals
    assert seen["after_lock"] is SignatureStatus.SUSPENDED

    # remove(with_error, with_success): the signature and both callbacks are retired (MageFlow deleted them).
    assert seen["removed"] == [None, None, None]

    assert seen["deleted"] is None

    # The worker side: the run starts, completes, and the success callback is dispatched with the result.
    async with Client(live_server.grpc_address) as client:
        current = await client.load_signature(order.key)
        assert current.run is not None
        run_id = current.run.run_id or "run-1"
        start = await client.start_task(order.key, run_id)
        assert start.run
        report = await client.complete_task(order.key, run_id, {"total": 42})
        assert report.dispatched_callbacks == order.success_callbacks
        notify = await client.load_signature(order.success_callbacks[0])
        assert notify.run is not None
        assert notify.run.last_input == {"mageflow_results": {"total": 42}, "channel": "email"}
        failure = await client.load_signature(order.error_callbacks[0])
        assert failure.removed  # the error branch is retired once the task is DONE (still readable here)


async def test_refusals_name_the_difference_from_mageflow(live_server: LiveServer, connected: None) -> None:
    from mageflow_signatures.mageflow import asign, load_signature
    from mageflow_signatures import FailedPrecondition

    sig = await asign("resize", width=10)
    await sig.aio_run_no_wait({"image": "a.png"})
    with pytest.raises(FailedPrecondition) as twice:
        await sig.aio_run_no_wait({"image": "b.png"})
    assert twice.value.reason == "ALREADY_DISPATCHED" and "runs a signature once" in str(twice.value)

    async with Client(live_server.grpc_address) as client:
        current = await client.load_signature(sig.key)
        run_id = current.run.run_id if current.run and current.run.run_id else "run-1"
        await client.start_task(sig.key, run_id)
    with pytest.raises(FailedPrecondition) as running:
        await sig.suspend()
    assert running.value.reason == "TASK_ALREADY_RUNNING" and "interrupt()" in str(running.value)
    await sig.pause_task(PauseActionTypes.INTERRUPT)  # what the message says to do
    assert sig.task_status.status is SignatureStatus.INTERRUPTED

    await sig.remove()
    with pytest.raises(FailedPrecondition) as removed:
        await sig.resume()
    assert removed.value.reason == "SIGNATURE_REMOVED" and "keeps it readable" in str(removed.value)

    with pytest.raises(FailedPrecondition) as missing:
        await asign("notify", success_callbacks=["TaskSignature:00000000-0000-4000-8000-000000000000"])
    assert missing.value.reason == "CALLBACKS_NOT_FOUND"

    assert await load_signature("TaskSignature:00000000-0000-4000-8000-000000000001") is None


async def test_asign_options_and_kwargs(live_server: LiveServer, connected: None) -> None:
    from pydantic import BaseModel

    from mageflow_signatures.mageflow import asign, TaskStatus

    class Msg(BaseModel):
        n: int

    class Task:  # what asign reads from a Hatchet task object
        name = "count"
        input_validator_type = Msg

    sig = await asign(
        Task(),
        kwargs={"a": 1},
        b=2,
        task_status=TaskStatus(status=SignatureStatus.SUSPENDED),
        task_identifiers={"tenant": "acme"},
    )
    assert sig.task_name == "count"
    assert sig.kwargs == {"a": 1, "b": 2}
    assert sig.task_status.status is SignatureStatus.SUSPENDED
    assert sig.signature.metadata["tenant"] == "acme"
    assert sig.input_schema is not None and sig.input_schema["properties"]["n"]["type"] == "integer"
    from mageflow_signatures import InvalidArgument

    await sig.resume()
    with pytest.raises(InvalidArgument):
        await sig.aio_run_no_wait({"n": "not a number"})


async def test_lock_task_waits_for_another_holder_as_mageflow_did(live_server: LiveServer, connected: None) -> None:
    import asyncio

    from mageflow_signatures.mageflow import asign, lock_task, load_signature, suspend

    sig = await asign("report")
    order: list = []

    async def first() -> None:
        async with lock_task(sig.key, ttl=10) as locked:
            order.append("first in")
            await asyncio.sleep(0.5)
            await locked.suspend()
            order.append("first out")

    async def second() -> None:
        await asyncio.sleep(0.1)
        async with lock_task(sig.key, wait=5):  # waits for the first block to end
            order.append("second in")

    await asyncio.gather(first(), second())
    assert order == ["first in", "first out", "second in"]

    async def holder(release: asyncio.Event) -> None:
        async with lock_task(sig.key, ttl=10):
            await release.wait()

    release = asyncio.Event()
    held = asyncio.ensure_future(holder(release))
    await asyncio.sleep(0.2)
    with pytest.raises(SignatureLocked) as locked_out:
        async with lock_task(sig.key, wait=0.2):
            pass
    assert "MageFlow waited for the lock" in str(locked_out.value)
    with pytest.raises(SignatureLocked):
        await suspend(sig.key)  # a change outside the holder's block
    release.set()
    await held
    loaded = await load_signature(sig.key)
    assert loaded is not None and loaded.task_status.status is SignatureStatus.SUSPENDED
