"""Client behaviour against an in-process fake of the service: error trailers, the bearer token,
lock leases, and a watch that resumes after a disconnect and stops at REVISION_COMPACTED."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, List, Optional

import grpc
import grpc.aio
import pytest
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from mageflow_signatures._gen.mageflow.v1 import (
    event_pb2,
    signature_pb2,
    signature_service_pb2 as svc,
    signature_service_pb2_grpc as svc_grpc,
    worker_service_pb2 as wrk,
    worker_service_pb2_grpc as wrk_grpc,
)
from mageflow_signatures import (
    Client,
    EventType,
    NotFound,
    RevisionCompacted,
    SignatureLocked,
    Status,
    Unauthenticated,
)


async def abort(context: Any, code: grpc.StatusCode, rpc_code: int, message: str, reason: str, **metadata: str) -> None:
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason=reason, domain="mageflow.dev", metadata=metadata))
    status = status_pb2.Status(code=rpc_code, message=message, details=[info])
    await context.abort(code, message, trailing_metadata=(("grpc-status-details-bin", status.SerializeToString()),))


def sig(key: str, status: int = signature_pb2.STATUS_PENDING, revision: int = 1) -> signature_pb2.Signature:
    return signature_pb2.Signature(
        key=key,
        task_name="t",
        task_status=signature_pb2.TaskStatus(status=status),
        revision=revision,
    )


def event(revision: int, key: str, status: int = signature_pb2.STATUS_PENDING) -> event_pb2.SignatureEvent:
    return event_pb2.SignatureEvent(
        revision=revision, type=event_pb2.EVENT_TYPE_STATUS_CHANGED, key=key, status=status, signature=sig(key, status, revision)
    )


class FakeSignatures(svc_grpc.SignatureServiceServicer):
    def __init__(self) -> None:
        self.watch_requests: List[svc.WatchSignaturesRequest] = []
        self.unlocks: List[svc.UnlockSignatureRequest] = []
        self.create_requests: List[svc.CreateSignatureRequest] = []
        self.tokens: List[Optional[str]] = []
        self.lock_holder: Optional[str] = None

    def _token(self, context: Any) -> Optional[str]:
        for k, v in context.invocation_metadata():
            if k == "authorization":
                return str(v)
        return None

    async def CreateSignature(self, request: svc.CreateSignatureRequest, context: Any) -> svc.CreateSignatureResponse:
        token = self._token(context)
        self.tokens.append(token)
        if token != "Bearer s3cret":
            await abort(context, grpc.StatusCode.UNAUTHENTICATED, code_pb2.UNAUTHENTICATED, "no token", "UNAUTHENTICATED")
        self.create_requests.append(request)
        s = sig("TaskSignature:new")
        s.kwargs.CopyFrom(request.kwargs)
        s.success_callbacks.extend(request.success_callbacks)
        return svc.CreateSignatureResponse(signature=s)

    async def GetSignature(self, request: svc.GetSignatureRequest, context: Any) -> svc.GetSignatureResponse:
        await abort(context, grpc.StatusCode.NOT_FOUND, code_pb2.NOT_FOUND, f"{request.key} not found", "SIGNATURE_NOT_FOUND", key=request.key)
        raise AssertionError("unreachable")

    async def LockSignature(self, request: svc.LockSignatureRequest, context: Any) -> svc.LockSignatureResponse:
        if self.lock_holder is not None and request.lock_id != self.lock_holder:
            await abort(
                context, grpc.StatusCode.ABORTED, code_pb2.ABORTED, "locked", "SIGNATURE_LOCKED",
                expire_time="2030-01-01T00:00:00Z",
            )
        self.lock_holder = request.lock_id or "lease-1"
        resp = svc.LockSignatureResponse(lock_id=self.lock_holder, signature=sig(request.key))
        resp.expire_time.GetCurrentTime()
        return resp

    async def UnlockSignature(self, request: svc.UnlockSignatureRequest, context: Any) -> svc.UnlockSignatureResponse:
        self.unlocks.append(request)
        self.lock_holder = None
        return svc.UnlockSignatureResponse(signature=sig(request.key))

    async def WatchSignatures(self, request: svc.WatchSignaturesRequest, context: Any) -> AsyncIterator[svc.WatchSignaturesResponse]:
        self.watch_requests.append(request)
        if list(request.filter.keys) == ["slow"]:
            yield svc.WatchSignaturesResponse(events=[event(5, "slow")], revision=5)
            await asyncio.sleep(0.5)
            yield svc.WatchSignaturesResponse(events=[event(6, "slow")], revision=6)
            await asyncio.sleep(30)
            return
        n = len(self.watch_requests)
        if n == 1:
            # Two revisions, then the connection "drops".
            yield svc.WatchSignaturesResponse(events=[event(5, "k1")], revision=5)
            yield svc.WatchSignaturesResponse(events=[event(6, "k1", signature_pb2.STATUS_ACTIVE)], revision=6)
            await abort(context, grpc.StatusCode.UNAVAILABLE, code_pb2.UNAVAILABLE, "going away", "SERVER_RESTARTING")
        elif n == 2:
            # Resumed: a bookmark, then one more revision holding two events, then the server ends the stream.
            yield svc.WatchSignaturesResponse(revision=8, bookmark=True)
            yield svc.WatchSignaturesResponse(
                events=[event(9, "k1", signature_pb2.STATUS_DONE), event(9, "k2")], revision=9
            )
        else:
            await abort(
                context, grpc.StatusCode.FAILED_PRECONDITION, code_pb2.FAILED_PRECONDITION,
                "revision compacted", "REVISION_COMPACTED", oldest_revision="100",
            )


class FakeWorkers(wrk_grpc.WorkerServiceServicer):
    async def StartTask(self, request: wrk.StartTaskRequest, context: Any) -> wrk.StartTaskResponse:
        return wrk.StartTaskResponse(decision=wrk.START_DECISION_RUN, signature=sig(request.key, signature_pb2.STATUS_ACTIVE))

    async def CompleteTask(self, request: wrk.CompleteTaskRequest, context: Any) -> wrk.CompleteTaskResponse:
        s = sig(request.key, signature_pb2.STATUS_DONE)
        s.run.result.CopyFrom(request.result)
        return wrk.CompleteTaskResponse(signature=s, dispatched_callbacks=["TaskSignature:cb"])


@pytest.fixture
async def fake():
    server = grpc.aio.server()
    sigs, workers = FakeSignatures(), FakeWorkers()
    svc_grpc.add_SignatureServiceServicer_to_server(sigs, server)
    wrk_grpc.add_WorkerServiceServicer_to_server(workers, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield f"127.0.0.1:{port}", sigs
    finally:
        await server.stop(None)


async def test_token_is_sent_and_kwargs_round_trip(fake):
    address, sigs = fake
    async with Client(address, token="s3cret") as client:
        s = await client.asign("t", {"a": {"b": [1, "x", None, True]}}, success_callbacks=["TaskSignature:cb"])
    assert sigs.tokens == ["Bearer s3cret"]
    assert s.kwargs == {"a": {"b": [1, "x", None, True]}}
    assert s.success_callbacks == ["TaskSignature:cb"]
    assert s.status is Status.PENDING
    async with Client(address) as client:
        with pytest.raises(Unauthenticated):
            await client.sign("t")


async def test_not_found_is_mapped(fake):
    address, _ = fake
    async with Client(address) as client:
        with pytest.raises(NotFound) as info:
            await client.load_signature("TaskSignature:nope")
    assert info.value.reason == "SIGNATURE_NOT_FOUND"
    assert info.value.metadata == {"key": "TaskSignature:nope"}
    assert info.value.code is grpc.StatusCode.NOT_FOUND


async def test_lock_context_manager_conflict_and_release(fake):
    address, sigs = fake
    async with Client(address) as client:
        async with client.lock("TaskSignature:a", ttl=5, owner="me") as lease:
            assert lease.lock_id == "lease-1"
            assert lease.expire_time is not None
            with pytest.raises(SignatureLocked) as info:
                await client.lock("TaskSignature:a", ttl=5, owner="other").acquire()
            assert info.value.reason == "SIGNATURE_LOCKED"
            assert info.value.expire_time is not None
            await lease.renew()
        assert [u.lock_id for u in sigs.unlocks] == ["lease-1"]
        assert lease.lock_id is None


async def test_watch_resumes_after_disconnect_then_raises_on_compaction(fake):
    address, sigs = fake
    async with Client(address) as client:
        watch = client.watch(["k1", "k2"], start_revision=5, max_reconnects=3, reconnect_delay=0.01)
        got = []
        with pytest.raises(RevisionCompacted) as info:
            async for ev in watch:
                got.append((ev.revision, ev.key, ev.status))
        assert got == [
            (5, "k1", Status.PENDING),
            (6, "k1", Status.ACTIVE),
            (9, "k1", Status.DONE),
            (9, "k2", Status.PENDING),
        ]
        assert info.value.oldest_revision == 100
        assert watch.revision == 9
    reqs = sigs.watch_requests
    assert [r.start_revision for r in reqs] == [5, 7, 10]
    assert list(reqs[1].filter.keys) == ["k1", "k2"]


async def test_worker_side(fake):
    address, _ = fake
    async with Client(address) as client:
        start = await client.start_task("TaskSignature:a", "run-1")
        assert start.run and start.signature is not None and start.signature.status is Status.ACTIVE
        report = await client.complete_task("TaskSignature:a", "run-1", {"answer": 42})
        assert report.dispatched_callbacks == ["TaskSignature:cb"]
        assert report.signature is not None
        assert report.signature.status is Status.DONE
        assert report.signature.run is not None and report.signature.run.result == {"answer": 42}


async def test_event_types_are_enums(fake):
    address, _ = fake
    async with Client(address) as client:
        watch = client.watch(start_revision=5, reconnect_delay=0.01)
        ev = await watch.next_event(timeout=5)
        await watch.aclose()
    assert ev.type is EventType.STATUS_CHANGED
    assert ev.signature is not None and ev.signature.key == "k1"
    await asyncio.sleep(0)


async def test_next_event_timeout_keeps_the_stream(fake):
    address, sigs = fake
    async with Client(address) as client:
        watch = client.watch(["slow"], start_revision=5, reconnect_delay=0.01)
        first = await watch.next_event(timeout=5)
        with pytest.raises(asyncio.TimeoutError):
            await watch.next_event(timeout=0.05)
        second = await watch.next_event(timeout=5)
        assert (first.revision, second.revision) == (5, 6)
        await watch.aclose()
    assert len(sigs.watch_requests) == 1
    assert watch.reconnects == 0
