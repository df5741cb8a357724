"""The asyncio client of the MageFlow Signature Service."""

from __future__ import annotations

import asyncio
import logging
import weakref
from datetime import datetime, timedelta
from types import TracebackType
from typing import (
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Type,
    TypeVar,
    Union,
)

import grpc
import grpc.aio
from google.protobuf import field_mask_pb2

from ._gen.mageflow.v1 import (
    container_pb2,
    container_service_pb2 as ctr,
    container_service_pb2_grpc as ctr_grpc,
    signature_pb2,
    signature_service_pb2 as svc,
    signature_service_pb2_grpc as svc_grpc,
    worker_service_pb2 as wrk,
    worker_service_pb2_grpc as wrk_grpc,
)

from ._defaults import (
    DEFAULT_TIMEOUT,
    WATCH_INITIAL_DELAY,
    WATCH_MAX_DELAY,
    RetryPolicy,
    backoff_delay,
    resolve_address,
    resolve_token,
    retry_worth,
)
from .errors import MageflowError, NotFound, from_rpc_error
from .types import (
    InlineTask,
    JSONObject,
    ListPage,
    RemoveResult,
    RunResult,
    Signature,
    SignatureEvent,
    StartResult,
    Status,
    TaskReport,
    to_duration,
    to_struct,
    to_timestamp,
    to_value,
    from_timestamp,
)

__all__ = ["Client", "Lock", "Watch", "RetryPolicy"]

log = logging.getLogger("mageflow_signatures")

T = TypeVar("T")
Seconds = Union[float, int, timedelta]
StatusLike = Union[Status, str, int]
Metadata = Tuple[Tuple[str, str], ...]

# Requests retried (with retries on) whatever they carry; CreateSignature and RunSignature only with a
# request_id, since a second attempt without one could create or run twice.
IDEMPOTENT_REQUESTS = frozenset({"GetSignatureRequest", "BatchGetSignaturesRequest", "ListSignaturesRequest"})
KEYED_REQUESTS = frozenset({"CreateSignatureRequest", "RunSignatureRequest"})


def _idempotent(request: Any) -> bool:
    name = type(request).__name__
    return name in IDEMPOTENT_REQUESTS or (name in KEYED_REQUESTS and bool(request.request_id))


def _watch_resumes(err: MageflowError) -> bool:
    """A watch resumes after UNAVAILABLE (the server or the connection went away) and after the server
    ended a subscriber that fell behind (RESOURCE_EXHAUSTED WATCH_TOO_SLOW); anything else ends it."""
    if err.code == grpc.StatusCode.UNAVAILABLE:
        return True
    return err.code == grpc.StatusCode.RESOURCE_EXHAUSTED and err.reason == "WATCH_TOO_SLOW"


def _task_cancelling() -> bool:
    """Whether the current task itself is being cancelled (Python 3.11+; on 3.10 assumed not)."""
    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)
    return bool(cancelling()) if cancelling is not None else False


def _opt(value: Optional[int]) -> int:
    return int(value) if value else 0


class Client:
    """Async client of ``mageflow.v1.SignatureService`` and ``mageflow.v1.WorkerService``.

    Use it as an async context manager (or call :meth:`close`)::

        async with Client("127.0.0.1:50051") as client:
            sig = await client.asign("send-email", {"to": "a@example.com"})

    The channel is opened on first use, inside the running event loop, so a client may be built anywhere
    (at import time, outside any loop). Defaults (docs/clients/defaults.md) are the same in every language.

    Args:
        address: ``host:port`` of the service (any gRPC target string) or an ``http://`` / ``https://`` URL;
            default ``MAGEFLOW_SERVER`` from the environment, else ``127.0.0.1:50051``.
        token: sent as ``authorization: Bearer <token>`` on every call; default ``MAGEFLOW_TOKEN`` from the
            environment (an empty value means none).
        tls: ``False`` for plaintext, ``True`` for TLS with the system roots, or ``grpc.ChannelCredentials``;
            default: TLS only for an ``https://`` address.
        timeout: deadline in seconds of each unary call, covering all its attempts (``None``: no
            deadline). Watches have none.
        retry: ``True`` (or a :class:`RetryPolicy`) retries idempotent calls; off by default.
        interceptors: ``grpc.aio`` client interceptors; the client's token and retries come first, so they
            see every attempt.
        options: extra gRPC channel options.
    """

    def __init__(
        self,
        address: Optional[str] = None,
        token: Optional[str] = None,
        tls: Optional[Union[bool, grpc.ChannelCredentials]] = None,
        *,
        timeout: Optional[float] = DEFAULT_TIMEOUT,
        retry: Union[bool, RetryPolicy] = False,
        interceptors: Sequence[Any] = (),
        options: Sequence[Tuple[str, Any]] = (),
    ) -> None:
        self.address, self._tls = resolve_address(address, tls)
        token = resolve_token(token)
        self._timeout = timeout
        self._retry: Optional[RetryPolicy] = RetryPolicy() if retry is True else (retry or None)
        self._interceptors = list(interceptors)
        self._options = list(options)
        self._metadata: Metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._channel: Optional[grpc.aio.Channel] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._sig_stub: Any = None
        self._wrk_stub: Any = None
        self._watches: "weakref.WeakSet[Watch]" = weakref.WeakSet()

    def _connect(self) -> None:
        """Opens the channel in the running loop (first use, or a new loop)."""
        loop = asyncio.get_running_loop()
        if self._channel is not None and self._loop is loop:
            return
        interceptors = self._interceptors or None
        if self._tls is False:
            channel = grpc.aio.insecure_channel(self.address, options=self._options, interceptors=interceptors)
        else:
            creds = grpc.ssl_channel_credentials() if self._tls is True else self._tls
            channel = grpc.aio.secure_channel(self.address, creds, options=self._options, interceptors=interceptors)
        self._channel, self._loop = channel, loop
        # The generated stubs are untyped (grpc_tools writes .pyi files for the messages only).
        self._sig_stub = svc_grpc.SignatureServiceStub(channel)  # type: ignore[no-untyped-call]
        self._wrk_stub = wrk_grpc.WorkerServiceStub(channel)  # type: ignore[no-untyped-call]
        self._ctr_stub = ctr_grpc.ContainerServiceStub(channel)  # type: ignore[no-untyped-call]

    @property
    def _sig(self) -> Any:
        self._connect()
        return self._sig_stub

    @property
    def _wrk(self) -> Any:
        self._connect()
        return self._wrk_stub

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Ends the client's watches (their consumers' loops end normally) and closes the channel."""
        for watch in list(self._watches):
            watch._end()
        channel, self._channel, self._loop = self._channel, None, None
        if channel is not None:
            await channel.close()

    @property
    def channel(self) -> grpc.aio.Channel:
        """The underlying channel (for the generated stubs of ``mageflow_signatures._gen.mageflow.v1``);
        opened on first use, so ask for it inside the running loop."""
        self._connect()
        assert self._channel is not None
        return self._channel

    async def _call(self, method: Callable[..., Awaitable[T]], request: Any) -> T:
        loop = asyncio.get_running_loop()
        deadline = None if self._timeout is None else loop.time() + self._timeout
        policy = self._retry if self._retry is not None and _idempotent(request) else None
        attempt = 0
        while True:
            attempt += 1
            timeout = None if deadline is None else max(0.0, deadline - loop.time())
            try:
                return await method(request, metadata=self._metadata, timeout=timeout)
            except grpc.RpcError as e:
                err = from_rpc_error(e)
                if policy is None or attempt >= policy.max_attempts or not retry_worth(err.code, err.retry_delay):
                    raise err from e
                delay = backoff_delay(attempt, policy.initial_delay, policy.max_delay)
                if err.retry_delay is not None and err.retry_delay > delay:
                    delay = err.retry_delay
                if deadline is not None and loop.time() + delay >= deadline:
                    raise err from e
                log.debug("%s failed (%s); attempt %d in %.2fs", type(request).__name__, err, attempt + 1, delay)
                await asyncio.sleep(delay)

    # ---------------------------------------------------------------- signatures

    async def asign(
        self,
        task_name: str,
        kwargs: Optional[Mapping[str, Any]] = None,
        *,
        success_callbacks: Iterable[Union[str, Signature]] = (),
        error_callbacks: Iterable[Union[str, Signature]] = (),
        task_status: Optional[StatusLike] = None,
        return_field_name: Optional[str] = None,
        input_schema: Optional[Mapping[str, Any]] = None,
        metadata: Optional[Mapping[str, str]] = None,
        request_id: Optional[str] = None,
        creation_time: Optional[datetime] = None,
    ) -> Signature:
        """Creates a signature (MageFlow's ``asign``; ``CreateSignature``).

        ``kwargs`` is the JSON object bound to the task. Callbacks are keys (or signatures) that must
        exist. ``task_status`` is PENDING (default) or SUSPENDED. With ``request_id`` a retry returns the
        first result instead of creating a second signature.
        """
        req = svc.CreateSignatureRequest(
            task_name=task_name,
            success_callbacks=[_key(c) for c in success_callbacks],
            error_callbacks=[_key(c) for c in error_callbacks],
            return_field_name=return_field_name or "",
            metadata=dict(metadata or {}),
            request_id=request_id or "",
        )
        if kwargs is not None:
            req.kwargs.CopyFrom(to_struct(kwargs))
        if input_schema is not None:
            req.input_schema.CopyFrom(to_struct(input_schema))
        if task_status is not None:
            req.task_status = _status_value(task_status)
        if creation_time is not None:
            req.creation_time.CopyFrom(to_timestamp(creation_time))
        resp = await self._call(self._sig.CreateSignature, req)
        return Signature.from_proto(resp.signature)

    sign = asign
    """Alias of :meth:`asign` (MageFlow's ``sign``)."""

    async def create_chain(
        self,
        tasks: Iterable[Union[str, Signature, InlineTask]],
        *,
        name: str = "",
        kwargs: Optional[Mapping[str, Any]] = None,
        success_callbacks: Iterable[Union[str, Signature]] = (),
        error_callbacks: Iterable[Union[str, Signature]] = (),
        request_id: str = "",
    ) -> Signature:
        """Creates a chain of at least two steps (``CreateChain``; docs/containers.md): existing signatures (keys
        or :class:`Signature`), or :class:`InlineTask` created with the chain in the same step.

        Returns the chain's own signature: run it with :meth:`run` (its first step gets the message)."""
        req = ctr.CreateChainRequest(
            tasks=[_container_task(t) for t in tasks],
            name=name,
            success_callbacks=[_key(c) for c in success_callbacks],
            error_callbacks=[_key(c) for c in error_callbacks],
            request_id=request_id,
        )
        if kwargs is not None:
            req.kwargs.CopyFrom(to_struct(kwargs))
        self._connect()
        resp = await self._call(self._ctr_stub.CreateChain, req)
        return Signature.from_proto(resp.chain.signature)

    async def create_swarm(
        self,
        tasks: Iterable[Union[str, Signature, InlineTask]] = (),
        *,
        max_concurrency: int,
        stop_after_n_failures: int = 0,
        max_tasks: int = 0,
        send_message_to_children: bool = False,
        close: bool = False,
        name: str = "",
        kwargs: Optional[Mapping[str, Any]] = None,
        success_callbacks: Iterable[Union[str, Signature]] = (),
        error_callbacks: Iterable[Union[str, Signature]] = (),
        request_id: str = "",
    ) -> Signature:
        """Creates a swarm (``CreateSwarm``): at most ``max_concurrency`` children run at once; it ends once
        closed and every child has ended. ``tasks`` as in :meth:`create_chain`. Returns the swarm's own signature."""
        req = ctr.CreateSwarmRequest(
            tasks=[_container_task(t) for t in tasks],
            name=name,
            config=container_pb2.SwarmConfig(
                max_concurrency=max_concurrency,
                stop_after_n_failures=stop_after_n_failures,
                max_tasks=max_tasks,
                send_message_to_children=send_message_to_children,
            ),
            success_callbacks=[_key(c) for c in success_callbacks],
            error_callbacks=[_key(c) for c in error_callbacks],
            close=close,
            request_id=request_id,
        )
        if kwargs is not None:
            req.kwargs.CopyFrom(to_struct(kwargs))
        self._connect()
        resp = await self._call(self._ctr_stub.CreateSwarm, req)
        return Signature.from_proto(resp.swarm.signature)

    async def add_swarm_tasks(self, key: str, tasks: Iterable[Union[str, Signature, InlineTask]], *, close: bool = False) -> List[str]:
        """Adds children (existing or :class:`InlineTask`) to an open swarm (``AddSwarmTasks``); returns their keys.
        A closed swarm refuses (SWARM_CLOSED)."""
        self._connect()
        req = ctr.AddSwarmTasksRequest(key=key, tasks=[_container_task(t) for t in tasks], close=close)
        resp = await self._call(self._ctr_stub.AddSwarmTasks, req)
        return list(resp.added_keys)

    async def close_swarm(self, key: str) -> None:
        """Closes a swarm (``CloseSwarm``): it ends once every child has ended."""
        self._connect()
        await self._call(self._ctr_stub.CloseSwarm, ctr.CloseSwarmRequest(key=key))

    async def load_container(self, key: str) -> Any:
        """The chain or swarm with its children counted by status (``GetContainer``), as the protobuf ``Container``."""
        self._connect()
        return (await self._call(self._ctr_stub.GetContainer, ctr.GetContainerRequest(key=key))).container

    async def load_signature(self, key: str) -> Signature:
        """Returns one signature (MageFlow's ``load_signature``); :class:`NotFound` if unknown or expired."""
        resp = await self._call(self._sig.GetSignature, svc.GetSignatureRequest(key=key))
        return Signature.from_proto(resp.signature)

    async def load_signatures(self, keys: Iterable[str]) -> List[Signature]:
        """Returns several signatures in the order asked (``BatchGetSignatures``)."""
        resp = await self._call(self._sig.BatchGetSignatures, svc.BatchGetSignaturesRequest(keys=list(keys)))
        return [Signature.from_proto(s) for s in resp.signatures]

    async def list(
        self,
        *,
        statuses: Iterable[StatusLike] = (),
        task_name: Optional[str] = None,
        created_after: Optional[datetime] = None,
        created_before: Optional[datetime] = None,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> ListPage:
        """Returns one page of signatures, newest first (``ListSignatures``)."""
        req = svc.ListSignaturesRequest(
            statuses=[_status_value(s) for s in statuses],
            task_name=task_name or "",
            page_size=page_size or 0,
            page_token=page_token or "",
        )
        if created_after is not None:
            req.create_time_after.CopyFrom(to_timestamp(created_after))
        if created_before is not None:
            req.create_time_before.CopyFrom(to_timestamp(created_before))
        resp = await self._call(self._sig.ListSignatures, req)
        return ListPage([Signature.from_proto(s) for s in resp.signatures], resp.next_page_token)

    async def list_all(
        self,
        *,
        statuses: Iterable[StatusLike] = (),
        task_name: Optional[str] = None,
        created_after: Optional[datetime] = None,
        created_before: Optional[datetime] = None,
        page_size: Optional[int] = None,
    ) -> AsyncIterator[Signature]:
        """Iterates over every matching signature, following ``next_page_token``."""
        statuses = tuple(statuses)
        token: Optional[str] = None
        while True:
            page = await self.list(
                statuses=statuses,
                task_name=task_name,
                created_after=created_after,
                created_before=created_before,
                page_size=page_size,
                page_token=token,
            )
            for sig in page.signatures:
                yield sig
            if not page.next_page_token:
                return
            token = page.next_page_token

    async def update(
        self,
        key: str,
        kwargs: Optional[Mapping[str, Any]] = None,
        *,
        metadata: Optional[Mapping[str, str]] = None,
        replace: Iterable[str] = (),
        input_schema: Optional[Mapping[str, Any]] = None,
        return_field_name: Optional[str] = None,
        expected_revision: Optional[int] = None,
        lock_id: Optional[str] = None,
    ) -> Signature:
        """Changes a signature (MageFlow's ``kwargs.aupdate``; ``UpdateSignature``).

        ``kwargs`` and ``metadata`` are merged key by key into the stored ones, unless named in
        ``replace`` (the field mask: ``kwargs``, ``metadata``, ``input_schema``, ``return_field_name``).
        Passing ``input_schema`` or ``return_field_name`` adds them to the mask.
        """
        paths = list(replace)
        req = svc.UpdateSignatureRequest(
            key=key,
            metadata=dict(metadata or {}),
            expected_revision=_opt(expected_revision),
            lock_id=lock_id or "",
        )
        if kwargs is not None:
            req.kwargs.CopyFrom(to_struct(kwargs))
        if input_schema is not None:
            req.input_schema.CopyFrom(to_struct(input_schema))
            paths.append("input_schema")
        if return_field_name is not None:
            req.return_field_name = return_field_name
            paths.append("return_field_name")
        if paths:
            req.update_mask.CopyFrom(field_mask_pb2.FieldMask(paths=sorted(set(paths))))
        resp = await self._call(self._sig.UpdateSignature, req)
        return Signature.from_proto(resp.signature)

    async def delete(
        self, key: str, *, expected_revision: Optional[int] = None, lock_id: Optional[str] = None
    ) -> int:
        """Deletes a signature at once (MageFlow's ``delete_signature``). Returns the store revision."""
        req = svc.DeleteSignatureRequest(key=key, expected_revision=_opt(expected_revision), lock_id=lock_id or "")
        resp = await self._call(self._sig.DeleteSignature, req)
        return int(resp.revision)

    delete_signature = delete

    async def remove(
        self,
        key: str,
        with_error: bool = True,
        with_success: bool = True,
        *,
        expected_revision: Optional[int] = None,
        lock_id: Optional[str] = None,
    ) -> RemoveResult:
        """Retires a signature and, per flags, its callback trees (MageFlow's ``remove``)."""
        req = svc.RemoveSignatureRequest(
            key=key,
            with_error=with_error,
            with_success=with_success,
            expected_revision=_opt(expected_revision),
            lock_id=lock_id or "",
        )
        resp = await self._call(self._sig.RemoveSignature, req)
        return RemoveResult(list(resp.removed_keys), int(resp.revision))

    async def run_no_wait(
        self,
        key: str,
        message: Optional[Mapping[str, Any]] = None,
        metadata: Optional[Mapping[str, str]] = None,
        *,
        request_id: Optional[str] = None,
        expected_revision: Optional[int] = None,
        lock_id: Optional[str] = None,
    ) -> RunResult:
        """Dispatches a PENDING signature (MageFlow's ``aio_run_no_wait``; ``RunSignature``).

        The run input is ``deep_merge(message, kwargs)`` (kwargs win). Returns the run id once the engine
        accepted the run (``dispatch_state`` TRIGGERED), or QUEUED/PARKED with an empty run id.
        """
        req = svc.RunSignatureRequest(
            key=key,
            metadata=dict(metadata or {}),
            request_id=request_id or "",
            expected_revision=_opt(expected_revision),
            lock_id=lock_id or "",
        )
        if message is not None:
            req.message.CopyFrom(to_struct(message))
        resp = await self._call(self._sig.RunSignature, req)
        return RunResult.from_proto(resp)

    aio_run_no_wait = run_no_wait

    async def suspend(
        self, key: str, *, expected_revision: Optional[int] = None, lock_id: Optional[str] = None
    ) -> Signature:
        """Holds a PENDING signature before it starts (``SuspendSignature``)."""
        req = svc.SuspendSignatureRequest(key=key, expected_revision=_opt(expected_revision), lock_id=lock_id or "")
        return Signature.from_proto((await self._call(self._sig.SuspendSignature, req)).signature)

    async def resume(
        self, key: str, *, expected_revision: Optional[int] = None, lock_id: Optional[str] = None
    ) -> Signature:
        """Returns a SUSPENDED/INTERRUPTED signature to PENDING, re-dispatching its run (``ResumeSignature``)."""
        req = svc.ResumeSignatureRequest(key=key, expected_revision=_opt(expected_revision), lock_id=lock_id or "")
        return Signature.from_proto((await self._call(self._sig.ResumeSignature, req)).signature)

    async def interrupt(
        self, key: str, *, expected_revision: Optional[int] = None, lock_id: Optional[str] = None
    ) -> Signature:
        """Stops a signature and cancels its in-flight run (``InterruptSignature``)."""
        req = svc.InterruptSignatureRequest(
            key=key, expected_revision=_opt(expected_revision), lock_id=lock_id or ""
        )
        return Signature.from_proto((await self._call(self._sig.InterruptSignature, req)).signature)

    async def pause(
        self,
        key: str,
        hard: bool = False,
        *,
        expected_revision: Optional[int] = None,
        lock_id: Optional[str] = None,
    ) -> Signature:
        """MageFlow's ``pause_task``: soft (default) suspends, ``hard=True`` interrupts (``PauseSignature``)."""
        req = svc.PauseSignatureRequest(
            key=key,
            pause_type=svc.PAUSE_TYPE_HARD if hard else svc.PAUSE_TYPE_SOFT,
            expected_revision=_opt(expected_revision),
            lock_id=lock_id or "",
        )
        return Signature.from_proto((await self._call(self._sig.PauseSignature, req)).signature)

    async def cancel(
        self, key: str, *, expected_revision: Optional[int] = None, lock_id: Optional[str] = None
    ) -> Signature:
        """Cancels a signature for good, with its in-flight run and callback branches (``CancelSignature``)."""
        req = svc.CancelSignatureRequest(key=key, expected_revision=_opt(expected_revision), lock_id=lock_id or "")
        return Signature.from_proto((await self._call(self._sig.CancelSignature, req)).signature)

    # ---------------------------------------------------------------- locks

    def lock(self, key: str, ttl: Seconds = 30.0, owner: str = "") -> "Lock":
        """A lease on a signature (MageFlow's ``lock_task``), as an async context manager::

            async with client.lock(key, ttl=10, owner="billing") as lease:
                await client.suspend(key, lock_id=lease.lock_id)

        Entering takes the lease (:class:`SignatureLocked` if another holder has it); leaving releases it.
        """
        return Lock(self, key, ttl, owner)

    async def lock_signature(
        self, key: str, ttl: Seconds = 30.0, owner: str = "", lock_id: Optional[str] = None
    ) -> svc.LockSignatureResponse:
        """Takes a lease, or renews the one named by ``lock_id`` (``LockSignature``). Raw response."""
        req = svc.LockSignatureRequest(key=key, owner=owner, lock_id=lock_id or "")
        req.ttl.CopyFrom(to_duration(ttl))
        return await self._call(self._sig.LockSignature, req)

    async def unlock(self, key: str, lock_id: str) -> Signature:
        """Releases a lease (``UnlockSignature``)."""
        resp = await self._call(self._sig.UnlockSignature, svc.UnlockSignatureRequest(key=key, lock_id=lock_id))
        return Signature.from_proto(resp.signature)

    # ---------------------------------------------------------------- watch

    def watch(
        self,
        keys: Iterable[Union[str, Signature]] = (),
        *,
        task_names: Iterable[str] = (),
        statuses: Iterable[StatusLike] = (),
        start_revision: int = 0,
        send_initial: bool = False,
        progress_interval: Optional[Seconds] = None,
        max_reconnects: Optional[int] = None,
        reconnect_delay: float = WATCH_INITIAL_DELAY,
        max_reconnect_delay: float = WATCH_MAX_DELAY,
    ) -> "Watch":
        """Streams signature events in revision order (``WatchSignatures``), as an async iterator.

        After a disconnect (UNAVAILABLE, or the stream ending without a status) or a RESOURCE_EXHAUSTED
        ``WATCH_TOO_SLOW`` end, the watch reconnects by itself and resumes at the last revision seen + 1, so
        no event is lost or repeated; delays start at ``reconnect_delay`` seconds, double up to
        ``max_reconnect_delay``, are jittered, and start over once a message arrives. A start revision
        older than the retained history raises :class:`RevisionCompacted`. ``max_reconnects`` bounds the
        consecutive failed reconnects (default ``None``: no bound). :meth:`Watch.aclose` or
        :meth:`close` from another task ends a consumer's ``async for`` normally.
        """
        return Watch(
            self,
            keys=[_key(k) for k in keys],
            task_names=list(task_names),
            statuses=[_status_value(s) for s in statuses],
            start_revision=start_revision,
            send_initial=send_initial,
            progress_interval=progress_interval,
            max_reconnects=max_reconnects,
            reconnect_delay=reconnect_delay,
            max_reconnect_delay=max_reconnect_delay,
        )

    # ---------------------------------------------------------------- worker side

    async def start_task(
        self, key: str, run_id: str, attempt: int = 1, *, lock_id: Optional[str] = None
    ) -> StartResult:
        """A worker asks whether to run this run (``StartTask``); run user code only if ``.run``."""
        req = wrk.StartTaskRequest(key=key, run_id=run_id, attempt=attempt, lock_id=lock_id or "")
        return StartResult.from_proto(await self._call(self._wrk.StartTask, req))

    async def complete_task(
        self, key: str, run_id: str, result: Any = None, *, lock_id: Optional[str] = None
    ) -> TaskReport:
        """A worker reports success (``CompleteTask``): DONE, success callbacks dispatched."""
        req = wrk.CompleteTaskRequest(key=key, run_id=run_id, lock_id=lock_id or "")
        req.result.CopyFrom(to_value(result))
        resp = await self._call(self._wrk.CompleteTask, req)
        return TaskReport(Signature.from_proto(resp.signature), list(resp.dispatched_callbacks))

    async def fail_task(
        self,
        key: str,
        run_id: str,
        message: str,
        *,
        type: str = "",
        attempt: int = 1,
        final: bool = True,
        lock_id: Optional[str] = None,
    ) -> TaskReport:
        """A worker reports a failure (``FailTask``). Final by default: the signature becomes FAILED and its
        error callbacks are dispatched; ``final=False`` reports an attempt the engine will retry."""
        req = wrk.FailTaskRequest(
            key=key,
            run_id=run_id,
            error=signature_pb2.TaskError(message=message, type=type, attempt=attempt),
            final=final,
            lock_id=lock_id or "",
        )
        resp = await self._call(self._wrk.FailTask, req)
        return TaskReport(Signature.from_proto(resp.signature), list(resp.dispatched_callbacks))


def _status_value(value: StatusLike) -> Any:
    """The wire value of a status (typed Any: the generated stubs type enum fields by their wrapper)."""
    return int(Status.parse(value))


def _key(value: Union[str, Signature]) -> str:
    return value.key if isinstance(value, Signature) else value


def _container_task(t: Union[str, Signature, InlineTask]) -> ctr.ContainerTask:
    if not isinstance(t, InlineTask):
        return ctr.ContainerTask(key=_key(t))
    req = svc.CreateSignatureRequest(
        task_name=t.task_name,
        success_callbacks=list(t.success_callbacks),
        error_callbacks=list(t.error_callbacks),
        return_field_name=t.return_field_name or "",
        metadata=dict(t.metadata or {}),
    )
    if t.kwargs is not None:
        req.kwargs.CopyFrom(to_struct(t.kwargs))
    return ctr.ContainerTask(signature=req)


class Lock:
    """A lease on a signature. ``async with`` takes it and releases it; :attr:`lock_id` is the secret
    to pass to mutations while it is held."""

    def __init__(self, client: Client, key: str, ttl: Seconds, owner: str) -> None:
        self._client = client
        self.key = key
        self.ttl = ttl
        self.owner = owner
        self.lock_id: Optional[str] = None
        self.expire_time: Optional[datetime] = None
        self.signature: Optional[Signature] = None

    async def acquire(self) -> "Lock":
        """Takes the lease; :class:`SignatureLocked` if someone else holds it."""
        resp = await self._client.lock_signature(self.key, self.ttl, self.owner)
        self._update(resp)
        return self

    async def renew(self, ttl: Optional[Seconds] = None) -> "Lock":
        """Extends the lease held."""
        if not self.lock_id:
            raise RuntimeError("lease not held")
        resp = await self._client.lock_signature(self.key, ttl if ttl is not None else self.ttl, self.owner, self.lock_id)
        self._update(resp)
        return self

    async def release(self) -> None:
        """Releases the lease (no-op if not held)."""
        if not self.lock_id:
            return
        lock_id, self.lock_id = self.lock_id, None
        await self._client.unlock(self.key, lock_id)

    def _update(self, resp: svc.LockSignatureResponse) -> None:
        self.lock_id = resp.lock_id
        self.expire_time = from_timestamp(resp, "expire_time")
        self.signature = Signature.from_proto(resp.signature) if resp.HasField("signature") else None

    async def __aenter__(self) -> "Lock":
        return await self.acquire()

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        try:
            await self.release()
        except NotFound:
            pass  # the signature is gone, and its lease with it
        except MageflowError:
            if exc is None:
                raise
            log.warning("releasing the lease on %s failed while handling %r", self.key, exc, exc_info=True)


class Watch:
    """Async iterator of :class:`SignatureEvent` over ``WatchSignatures``, resuming after disconnects.

    :attr:`revision` is the store revision seen so far (events and bookmarks); after a disconnect the
    watch restarts at ``revision + 1``. Close it with :meth:`aclose` (or ``async with``).
    """

    def __init__(
        self,
        client: Client,
        *,
        keys: List[str],
        task_names: List[str],
        statuses: List[Any],
        start_revision: int,
        send_initial: bool,
        progress_interval: Optional[Seconds],
        max_reconnects: Optional[int],
        reconnect_delay: float,
        max_reconnect_delay: float,
    ) -> None:
        self._client = client
        self._filter = svc.SignatureFilter(keys=keys, task_names=task_names, statuses=statuses)
        self._start_revision = start_revision
        self._send_initial = send_initial
        self._progress_interval = progress_interval
        self._max_reconnects = max_reconnects
        self._reconnect_delay = reconnect_delay
        self._max_reconnect_delay = max_reconnect_delay
        self._call: Optional[Any] = None
        self._pending: List[SignatureEvent] = []
        self._closed = False
        self._wake: Optional[asyncio.Event] = None
        client._watches.add(self)
        self._failures = 0
        self._next: Optional["asyncio.Future[SignatureEvent]"] = None
        self.revision: int = 0
        """The store revision everything has been seen up to (0 until the first message)."""
        self.reconnects: int = 0
        """How many times the stream was re-established."""

    def _request(self) -> svc.WatchSignaturesRequest:
        req = svc.WatchSignaturesRequest(filter=self._filter)
        if self.revision > 0:
            req.start_revision = self.revision + 1  # resume: nothing seen is sent again
        else:
            req.start_revision = self._start_revision
            req.send_initial = self._send_initial
        if self._progress_interval is not None:
            req.progress_interval.CopyFrom(to_duration(self._progress_interval))
        return req

    def _open(self) -> None:
        self._call = self._client._sig.WatchSignatures(self._request(), metadata=self._client._metadata)

    def __aiter__(self) -> "Watch":
        return self

    async def __anext__(self) -> SignatureEvent:
        while True:
            if self._pending:
                return self._pending.pop(0)
            if self._closed:
                raise StopAsyncIteration
            if self._call is None:
                self._open()
            assert self._call is not None
            try:
                msg = await self._call.read()
            except grpc.RpcError as e:
                if self._closed:
                    raise StopAsyncIteration from None
                err = from_rpc_error(e)
                if _watch_resumes(err):
                    await self._backoff(err)
                    continue
                self._closed = True
                raise err from e
            except asyncio.CancelledError:
                self._cancel_call()
                if self._closed and not _task_cancelling():
                    # aclose() or Client.close() from another task: the iteration ends, not the task.
                    raise StopAsyncIteration from None
                raise
            if msg is grpc.aio.EOF:
                # The server ended the stream without an error (e.g. it is shutting down): resume.
                if self._closed:
                    raise StopAsyncIteration
                await self._backoff(None)
                continue
            self._failures = 0
            if msg.revision > self.revision:
                self.revision = msg.revision
            for ev in msg.events:
                if ev.revision > self.revision:
                    self.revision = ev.revision
                self._pending.append(SignatureEvent.from_proto(ev))

    async def _backoff(self, err: Optional[MageflowError]) -> None:
        self._cancel_call()
        self._failures += 1
        if self._max_reconnects is not None and self._failures > self._max_reconnects:
            self._closed = True
            if err is not None:
                raise err
            raise StopAsyncIteration
        delay = backoff_delay(self._failures, self._reconnect_delay, self._max_reconnect_delay)
        log.info("watch stream ended (%s); resuming at revision %d in %.2fs", err or "EOF", self.revision + 1, delay)
        if self._wake is None:
            self._wake = asyncio.Event()
        try:
            await asyncio.wait_for(self._wake.wait(), delay)  # cut short by aclose()
        except asyncio.TimeoutError:
            pass
        self.reconnects += 1

    def _cancel_call(self) -> None:
        if self._call is not None:
            self._call.cancel()
            self._call = None

    def _end(self) -> None:
        self._closed = True
        self._pending.clear()
        self._cancel_call()
        if self._wake is not None:
            self._wake.set()

    async def aclose(self) -> None:
        """Ends the watch; a consumer iterating it (in another task) ends its ``async for`` normally."""
        self._end()
        pending = self._next
        if pending is not None:
            await asyncio.wait({pending})
            if not pending.cancelled():
                pending.exception()  # retrieved: it is StopAsyncIteration (or the error that ended the watch)

    async def __aenter__(self) -> "Watch":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def next_event(self, timeout: Optional[float] = None) -> SignatureEvent:
        """The next event, waiting at most ``timeout`` seconds (``asyncio.TimeoutError`` then).

        A timeout does not disturb the stream: the pending read carries over to the next call. Do not
        mix this with ``async for`` on the same watch while a read is pending.
        """
        if self._next is None:
            self._next = asyncio.ensure_future(self.__anext__())
        done, _ = await asyncio.wait({self._next}, timeout=timeout)
        if not done:
            raise asyncio.TimeoutError()
        task, self._next = self._next, None
        return task.result()
