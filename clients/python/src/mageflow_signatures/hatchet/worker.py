"""Hatchet (``hatchet-sdk``) tasks that report their runs to the MageFlow Signature Service.

The worker contract is in docs/hatchet.md: StartTask before the user function (SKIP: the function does
not run), then CompleteTask with its result or FailTask with its error, final when Hatchet will not
retry; cancelled runs are not reported; runs without ``task_id`` metadata run unreported.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import logging
from typing import Any, Awaitable, Callable, Concatenate, Coroutine, Optional, ParamSpec, TypeVar, Union, cast, overload

from hatchet_sdk import Context, NonRetryableException

from ..client import Client
from ..mageflow.connection import get_client

__all__ = ["with_signature", "WithSignature", "TASK_ID_METADATA", "to_json"]

log = logging.getLogger("mageflow_signatures.hatchet")

TASK_ID_METADATA = "task_id"
"""The run metadata key that carries the signature key (the service sets it on every run it starts)."""

TIn = TypeVar("TIn")
R = TypeVar("R")
P = ParamSpec("P")
ClientSource = Union[Client, Callable[[], Client], None]


class WithSignature:
    """The decorator :data:`with_signature` is an instance of; :meth:`using` picks the client."""

    def __init__(self, client: ClientSource = None) -> None:
        self._client = client

    def using(self, client: ClientSource) -> "WithSignature":
        """The same decorator reporting through ``client`` (a :class:`Client` or a function returning one)."""
        return WithSignature(client)

    @overload
    def __call__(
        self, fn: Callable[Concatenate[TIn, Context, P], Coroutine[Any, Any, R]]
    ) -> Callable[Concatenate[TIn, Context, P], Coroutine[Any, Any, Optional[R]]]: ...
    @overload
    def __call__(
        self, fn: Callable[Concatenate[TIn, Context, P], R]
    ) -> Callable[Concatenate[TIn, Context, P], Coroutine[Any, Any, Optional[R]]]: ...

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Coroutine[Any, Any, Any]]:
        return _wrap(fn, self._client)


with_signature = WithSignature()
"""Wraps a Hatchet task function (``async def`` or plain ``def``, taking ``(input, ctx, ...)``) so the
service learns about its runs. Put it under ``@hatchet.task(...)``::

    @hatchet.task(name="resize", retries=2, input_validator=ResizeInput)
    @with_signature
    async def resize(input: ResizeInput, ctx: Context) -> dict[str, str]: ...

- no ``task_id`` run metadata: the function runs and nothing is reported;
- StartTask; on SKIP the function does not run and the task returns ``None``; if StartTask fails, its
  error is raised (Hatchet retries the attempt if it has retries left);
- the function returns: CompleteTask with the value (a pydantic model or dataclass as JSON); if that call
  fails its error is raised, so Hatchet retries and StartTask answers RUN again for the run;
- the function raises: FailTask (``final`` when ``ctx.attempt_number >= ctx.max_attempts``, i.e. Hatchet
  has no retry left, or the error is a ``NonRetryableException``), then the error is re-raised; a failing
  FailTask is logged and the task's own error is the one Hatchet sees;
- the run is cancelled at Hatchet (``asyncio.CancelledError``, or ``ctx.is_cancelled``): nothing is
  reported.

A plain ``def`` runs in a thread (``asyncio.to_thread``); the wrapper is ``async``. It reports through the
client of ``mageflow_signatures.mageflow`` (``MAGEFLOW_SERVER`` / ``MAGEFLOW_TOKEN``, or its
``configure``); ``with_signature.using(client)`` picks another.
"""


def _wrap(fn: Callable[..., Any], client: ClientSource) -> Callable[..., Coroutine[Any, Any, Any]]:
    call = _as_async(fn)

    @functools.wraps(fn)
    async def task(input: Any, ctx: Context, *args: Any, **kwargs: Any) -> Any:
        key = ctx.additional_metadata.get(TASK_ID_METADATA)
        if not isinstance(key, str) or not key:
            return await call(input, ctx, *args, **kwargs)
        reporter = _resolve(client)
        run_id = ctx.workflow_run_id
        attempt = ctx.attempt_number

        start = await reporter.start_task(key, run_id, attempt)
        if not start.run:
            log.info("signature %s run %s skipped: %s", key, run_id, start.skip_reason)
            return None

        try:
            result = await call(input, ctx, *args, **kwargs)
        except asyncio.CancelledError:
            raise
        except Exception as err:
            if not ctx.is_cancelled:
                final = attempt >= ctx.max_attempts or isinstance(err, NonRetryableException)
                try:
                    await reporter.fail_task(
                        key, run_id, str(err) or type(err).__name__, type=type(err).__name__, attempt=attempt, final=final
                    )
                except Exception:
                    log.warning("FailTask for signature %s run %s failed", key, run_id, exc_info=True)
            raise
        if not ctx.is_cancelled:
            await reporter.complete_task(key, run_id, to_json(result))
        return result

    return task


def _as_async(fn: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    if inspect.iscoroutinefunction(fn):
        return cast(Callable[..., Awaitable[Any]], fn)

    async def in_thread(*args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(fn, *args, **kwargs)

    return in_thread


def _resolve(client: ClientSource) -> Client:
    if client is None:
        return get_client()
    if isinstance(client, Client):
        return client
    return client()


def to_json(value: Any) -> Any:
    """A task result as JSON: pydantic models by ``model_dump(mode="json")``, dataclasses by their fields,
    anything else through ``json`` (``default=str`` for values JSON has no form for)."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    if hasattr(value, "__dataclass_fields__") and not isinstance(value, type):
        import dataclasses

        value = dataclasses.asdict(value)
    return json.loads(json.dumps(value, default=str))
