"""The rules of `with_signature` with a recording reporter and a stand-in Hatchet context (the real engine
runs them in test/hatchet-real/worker-helpers.test.ts). Needs hatchet-sdk: `npm test -- python` runs this
file in .tools/hatchet."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import pytest

hatchet_sdk = pytest.importorskip("hatchet_sdk")

from mageflow_signatures.hatchet import with_signature  # noqa: E402
from mageflow_signatures.types import StartResult  # noqa: E402


@dataclass
class Ctx:
    additional_metadata: Dict[str, str] = field(default_factory=lambda: {"task_id": "TaskSignature:k"})
    workflow_run_id: str = "run-1"
    attempt_number: int = 1
    max_attempts: int = 3
    is_cancelled: bool = False


class Reporter:
    def __init__(self, run: bool = True) -> None:
        self.calls: List[Tuple[str, Any]] = []
        self.run = run

    async def start_task(self, key: str, run_id: str, attempt: int) -> StartResult:
        self.calls.append(("start", (key, run_id, attempt)))
        return StartResult(run=self.run, skip_reason="" if self.run else "SIGNATURE_SUSPENDED", signature=None)

    async def complete_task(self, key: str, run_id: str, result: Any) -> None:
        self.calls.append(("complete", result))

    async def fail_task(self, key: str, run_id: str, message: str, *, type: str, attempt: int, final: bool) -> None:
        self.calls.append(("fail", (message, type, attempt, final)))


def wrap(reporter: Reporter, fn: Any) -> Any:
    return with_signature.using(lambda: reporter)(fn)


async def test_success_reports_the_result_as_json() -> None:
    r = Reporter()

    async def task(input: Any, ctx: Any) -> Dict[str, int]:
        return {"sum": 5}

    assert await wrap(r, task)(None, Ctx()) == {"sum": 5}
    assert r.calls == [("start", ("TaskSignature:k", "run-1", 1)), ("complete", {"sum": 5})]


async def test_skip_does_not_run_the_function() -> None:
    r = Reporter(run=False)
    ran: List[bool] = []

    def task(input: Any, ctx: Any) -> Dict[str, Any]:
        ran.append(True)
        return {}

    assert await wrap(r, task)(None, Ctx()) is None
    assert ran == [] and [c[0] for c in r.calls] == ["start"]


@pytest.mark.parametrize(
    "attempt, error, final",
    [
        (1, RuntimeError("boom"), False),
        (3, RuntimeError("boom"), True),  # no retry left
        (1, hatchet_sdk.NonRetryableException("bad input"), True),
    ],
)
async def test_failures_are_reported_then_raised(attempt: int, error: Exception, final: bool) -> None:
    r = Reporter()

    def task(input: Any, ctx: Any) -> Dict[str, Any]:  # a plain function runs in a thread
        raise error

    with pytest.raises(type(error)):
        await wrap(r, task)(None, Ctx(attempt_number=attempt))
    assert r.calls[1] == ("fail", (str(error), type(error).__name__, attempt, final))


async def test_a_cancelled_run_is_not_reported() -> None:
    r = Reporter()

    async def task(input: Any, ctx: Any) -> Dict[str, Any]:
        await asyncio.sleep(10)
        return {}

    running = asyncio.ensure_future(wrap(r, task)(None, Ctx()))
    await asyncio.sleep(0.05)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert [c[0] for c in r.calls] == ["start"]

    async def raises_after_cancel(input: Any, ctx: Any) -> Dict[str, Any]:
        ctx.is_cancelled = True
        raise RuntimeError("stopped")

    r2 = Reporter()
    with pytest.raises(RuntimeError):
        await wrap(r2, raises_after_cancel)(None, Ctx())
    assert [c[0] for c in r2.calls] == ["start"]


async def test_runs_without_task_id_are_not_reported() -> None:
    r = Reporter()

    async def task(input: Any, ctx: Any) -> Optional[Dict[str, Any]]:
        return {"ok": True}

    assert await wrap(r, task)(None, Ctx(additional_metadata={})) == {"ok": True}
    assert r.calls == []


async def test_a_failing_fail_task_keeps_the_task_error() -> None:
    class Broken(Reporter):
        async def fail_task(self, *args: Any, **kwargs: Any) -> None:
            raise ConnectionError("service down")

    async def task(input: Any, ctx: Any) -> Dict[str, Any]:
        raise ValueError("the task's own error")

    with pytest.raises(ValueError, match="the task's own error"):
        await wrap(Broken(), task)(None, Ctx())
