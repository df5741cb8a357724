"""The defaults every client shares (docs/clients/defaults.md), against an in-process server: opt-in retries
of idempotent calls only, the deadline over all attempts, interceptors seeing every attempt, address and
token from the environment, final failure reports, unlimited watch reconnects, integers kept as integers, a
client built outside any event loop, and aclose()/close() ending a consumer's loop normally."""

from __future__ import annotations

import asyncio
import time
from typing import Any, AsyncIterator, Dict, List, Optional

import grpc
import grpc.aio
import pytest
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from mageflow_signatures import Client, ResourceExhausted, RetryPolicy, Unavailable
from mageflow_signatures._defaults import resolve_address
from mageflow_signatures._gen.mageflow.v1 import (
    event_pb2,
    signature_pb2,
    signature_service_pb2 as svc,
    signature_service_pb2_grpc as svc_grpc,
    worker_service_pb2 as wrk,
    worker_service_pb2_grpc as wrk_grpc,
)


async def fail(context: Any, code: grpc.StatusCode, rpc_code: int, reason: str, retry_delay: Optional[float] = None) -> None:
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason=reason, domain="mageflow.dev"))
    details = [info]
    if retry_delay is not None:
        hint = any_pb2.Any()
        d = duration_pb2.Duration()
        d.FromNanoseconds(int(retry_delay * 1e9))
        hint.Pack(error_details_pb2.RetryInfo(retry_delay=d))
        details.append(hint)
    status = status_pb2.Status(code=rpc_code, message=reason.lower(), details=details)
    await context.abort(code, reason.lower(), trailing_metadata=(("grpc-status-details-bin", status.SerializeToString()),))


def sig(key: str) -> signature_pb2.Signature:
    return signature_pb2.Signature(key=key, task_name="t", task_status=signature_pb2.TaskStatus(status=signature_pb2.STATUS_PENDING))


class Flaky(svc_grpc.SignatureServiceServicer):
    """Fails the first `failures[method]` calls of a method with `error`, then answers."""

    def __init__(self) -> None:
        self.calls: Dict[str, int] = {}
        self.failures: Dict[str, int] = {}
        self.error = (grpc.StatusCode.UNAVAILABLE, code_pb2.UNAVAILABLE, "STORE_UNAVAILABLE", None)
        self.tokens: List[Optional[str]] = []
        self.watch_plan: List[str] = []

    async def _maybe_fail(self, method: str, context: Any) -> None:
        self.calls[method] = self.calls.get(method, 0) + 1
        self.tokens.append(dict(context.invocation_metadata()).get("authorization"))
        if self.calls[method] <= self.failures.get(method, 0):
            code, rpc_code, reason, delay = self.error
            await fail(context, code, rpc_code, reason, delay)

    async def GetSignature(self, request: svc.GetSignatureRequest, context: Any) -> svc.GetSignatureResponse:
        await self._maybe_fail("GetSignature", context)
        return svc.GetSignatureResponse(signature=sig(request.key))

    async def CreateSignature(self, request: svc.CreateSignatureRequest, context: Any) -> svc.CreateSignatureResponse:
        await self._maybe_fail("CreateSignature", context)
        s = sig("TaskSignature:new")
        s.kwargs.CopyFrom(request.kwargs)
        return svc.CreateSignatureResponse(signature=s)

    async def UpdateSignature(self, request: svc.UpdateSignatureRequest, context: Any) -> svc.UpdateSignatureResponse:
        await self._maybe_fail("UpdateSignature", context)
        return svc.UpdateSignatureResponse(signature=sig(request.key))

    async def WatchSignatures(self, request: svc.WatchSignaturesRequest, context: Any) -> AsyncIterator[svc.WatchSignaturesResponse]:
        self.calls["WatchSignatures"] = self.calls.get("WatchSignatures", 0) + 1
        step = self.watch_plan.pop(0) if self.watch_plan else "events"
        if step == "unavailable":
            await fail(context, grpc.StatusCode.UNAVAILABLE, code_pb2.UNAVAILABLE, "SERVER_RESTARTING")
        if step == "too-slow":
            await fail(context, grpc.StatusCode.RESOURCE_EXHAUSTED, code_pb2.RESOURCE_EXHAUSTED, "WATCH_TOO_SLOW")
        if step == "quota":
            await fail(context, grpc.StatusCode.RESOURCE_EXHAUSTED, code_pb2.RESOURCE_EXHAUSTED, "QUOTA_EXCEEDED")
        ev = event_pb2.SignatureEvent(revision=3, type=event_pb2.EVENT_TYPE_CREATED, key="k", status=signature_pb2.STATUS_PENDING)
        yield svc.WatchSignaturesResponse(events=[ev], revision=3)
        await asyncio.sleep(60)


class Workers(wrk_grpc.WorkerServiceServicer):
    def __init__(self) -> None:
        self.finals: List[bool] = []

    async def FailTask(self, request: wrk.FailTaskRequest, context: Any) -> wrk.FailTaskResponse:
        self.finals.append(request.final)
        return wrk.FailTaskResponse(signature=sig(request.key))


@pytest.fixture
async def flaky():
    server = grpc.aio.server()
    sigs, workers = Flaky(), Workers()
    svc_grpc.add_SignatureServiceServicer_to_server(sigs, server)
    wrk_grpc.add_WorkerServiceServicer_to_server(workers, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield f"127.0.0.1:{port}", sigs, workers
    finally:
        await server.stop(None)


FAST = RetryPolicy(max_attempts=4, initial_delay=0.01, max_delay=0.02)


async def test_retries_are_off_by_default(flaky):
    address, sigs, _ = flaky
    sigs.failures["GetSignature"] = 1
    async with Client(address) as client:
        with pytest.raises(Unavailable):
            await client.load_signature("TaskSignature:a")
    assert sigs.calls["GetSignature"] == 1


async def test_idempotent_calls_are_retried_and_interceptors_see_every_attempt(flaky):
    address, sigs, _ = flaky
    seen: List[str] = []

    class Count(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
        async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
            seen.append(dict(details.metadata or ()).get("authorization", ""))
            return await continuation(details, request)

    sigs.failures["GetSignature"] = 3
    async with Client(address, token="t0k", retry=FAST, interceptors=[Count()]) as client:
        got = await client.load_signature("TaskSignature:a")
    assert got.key == "TaskSignature:a"
    assert sigs.calls["GetSignature"] == 4
    assert seen == ["Bearer t0k"] * 4

    sigs.failures["GetSignature"] = 10
    sigs.calls.clear()
    async with Client(address, retry=FAST) as client:
        with pytest.raises(Unavailable):
            await client.load_signature("TaskSignature:a")
    assert sigs.calls["GetSignature"] == 4  # max_attempts, the first included


async def test_create_is_retried_only_with_a_request_id_and_update_never(flaky):
    address, sigs, _ = flaky
    sigs.failures.update(CreateSignature=1, UpdateSignature=1)
    async with Client(address, retry=FAST) as client:
        with pytest.raises(Unavailable):
            await client.asign("t")
        sigs.calls.clear()
        created = await client.asign("t", request_id="req-1")
        assert created.key == "TaskSignature:new"
        assert sigs.calls["CreateSignature"] == 2
        with pytest.raises(Unavailable):
            await client.update("TaskSignature:a", {"x": 1})
    assert sigs.calls["UpdateSignature"] == 1


async def test_resource_exhausted_is_retried_only_with_retry_info_and_waits_for_it(flaky):
    address, sigs, _ = flaky
    sigs.error = (grpc.StatusCode.RESOURCE_EXHAUSTED, code_pb2.RESOURCE_EXHAUSTED, "QUOTA_EXCEEDED", None)
    sigs.failures["GetSignature"] = 1
    async with Client(address, retry=FAST) as client:
        with pytest.raises(ResourceExhausted):
            await client.load_signature("TaskSignature:a")
        assert sigs.calls["GetSignature"] == 1
        sigs.calls.clear()
        sigs.error = (grpc.StatusCode.RESOURCE_EXHAUSTED, code_pb2.RESOURCE_EXHAUSTED, "QUOTA_EXCEEDED", 0.3)
        started = time.monotonic()
        await client.load_signature("TaskSignature:a")
        assert time.monotonic() - started >= 0.3  # the server's hint, longer than the drawn 10-20 ms
    assert sigs.calls["GetSignature"] == 2


async def test_the_deadline_covers_every_attempt(flaky):
    address, sigs, _ = flaky
    sigs.failures["GetSignature"] = 100
    policy = RetryPolicy(max_attempts=100, initial_delay=0.2, max_delay=0.2)
    async with Client(address, retry=policy, timeout=0.5) as client:
        with pytest.raises(Unavailable):
            await client.load_signature("TaskSignature:a")
    # Delays of 0.1-0.2 s each: the 0.5 s deadline leaves room for at most 5 attempts.
    assert 2 <= sigs.calls["GetSignature"] <= 5


async def test_address_and_token_from_the_environment(flaky, monkeypatch):
    address, sigs, _ = flaky
    monkeypatch.setenv("MAGEFLOW_SERVER", f"http://{address}")
    monkeypatch.setenv("MAGEFLOW_TOKEN", "from-env")
    async with Client() as client:
        await client.load_signature("TaskSignature:a")
        assert client.address == address
    monkeypatch.setenv("MAGEFLOW_TOKEN", "")
    async with Client(address) as client:
        await client.load_signature("TaskSignature:a")
    assert sigs.tokens == ["Bearer from-env", None]


def test_address_forms(monkeypatch):
    monkeypatch.delenv("MAGEFLOW_SERVER", raising=False)
    assert resolve_address(None, None) == ("127.0.0.1:50051", False)
    assert resolve_address("https://mageflow.example.com", None) == ("mageflow.example.com:443", True)
    assert resolve_address("http://[::1]:9000", None) == ("[::1]:9000", False)
    assert resolve_address("mageflow:50051", True) == ("mageflow:50051", True)
    with pytest.raises(ValueError):
        resolve_address("ftp://x", None)


async def test_failure_reports_are_final_by_default(flaky):
    address, _, workers = flaky
    async with Client(address) as client:
        await client.fail_task("TaskSignature:a", "run-1", "boom")
        await client.fail_task("TaskSignature:a", "run-1", "boom", final=False)
    assert workers.finals == [True, False]


async def test_integers_stay_integers(flaky):
    address, _, _ = flaky
    async with Client(address) as client:
        s = await client.asign("t", {"n": 7, "f": 1.5, "max": 2**53, "neg": -3, "list": [1, 2.0, {"deep": 10}]})
        with pytest.raises(ValueError, match="2\\*\\*53"):
            await client.asign("t", {"too_big": 2**53 + 1})
    kw = s.kwargs
    assert kw == {"n": 7, "f": 1.5, "max": 2**53, "neg": -3, "list": [1, 2, {"deep": 10}]}
    assert [type(kw[k]) for k in ("n", "f", "max", "neg")] == [int, float, int, int]
    assert [type(x) for x in kw["list"]] == [int, int, dict] and type(kw["list"][2]["deep"]) is int


async def test_watch_reconnects_without_a_bound_by_default(flaky):
    address, sigs, _ = flaky
    sigs.watch_plan = ["unavailable"] * 25 + ["too-slow", "events"]
    async with Client(address) as client:
        watch = client.watch(reconnect_delay=0.001, max_reconnect_delay=0.002)
        ev = await watch.next_event(timeout=20)
        await watch.aclose()
    assert ev.revision == 3
    assert watch.reconnects == 26


async def test_watch_ends_on_resource_exhausted_other_than_too_slow(flaky):
    address, sigs, _ = flaky
    sigs.watch_plan = ["quota"]
    async with Client(address) as client:
        with pytest.raises(ResourceExhausted):
            async for _ in client.watch(reconnect_delay=0.001):
                pass


def test_a_client_built_outside_any_loop_works_in_each_loop(flaky_address):
    client = Client(flaky_address)  # no running loop here

    async def use() -> str:
        return (await client.load_signature("TaskSignature:a")).key

    assert asyncio.run(use()) == "TaskSignature:a"
    assert asyncio.run(use()) == "TaskSignature:a"  # a second loop gets its own channel
    asyncio.run(client.close())


class SyncGet(svc_grpc.SignatureServiceServicer):
    def GetSignature(self, request: svc.GetSignatureRequest, context: Any) -> svc.GetSignatureResponse:
        return svc.GetSignatureResponse(signature=sig(request.key))


@pytest.fixture
def flaky_address():
    """A (thread-based) server for tests that run event loops of their own."""
    from concurrent import futures

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    svc_grpc.add_SignatureServiceServicer_to_server(SyncGet(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{port}"
    server.stop(None)


@pytest.mark.parametrize("how", ["watch.aclose", "client.close"])
async def test_closing_from_another_task_ends_the_consumer_loop_normally(flaky, how):
    address, _, _ = flaky
    client = Client(address)
    watch = client.watch()
    got: List[int] = []

    async def consume() -> str:
        async for ev in watch:
            got.append(ev.revision)
        return "ended"

    consumer = asyncio.create_task(consume())
    while not got:
        await asyncio.sleep(0.01)
    if how == "watch.aclose":
        await watch.aclose()
    else:
        await client.close()
    assert await asyncio.wait_for(consumer, 5) == "ended"
    assert not consumer.cancelled() and got == [3]
    await client.close()



async def test_aclose_cuts_a_reconnect_pause_short(flaky):
    address, sigs, _ = flaky
    sigs.watch_plan = ["unavailable"] * 10
    async with Client(address) as client:
        watch = client.watch(reconnect_delay=60, max_reconnect_delay=60)

        async def consume() -> str:
            async for _ in watch:
                pass
            return "ended"

        consumer = asyncio.create_task(consume())
        while sigs.calls.get("WatchSignatures", 0) < 1:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # the consumer is now in its (30-60 s) pause before reconnecting
        await watch.aclose()
        assert await asyncio.wait_for(consumer, 5) == "ended"
    assert sigs.calls["WatchSignatures"] == 1
