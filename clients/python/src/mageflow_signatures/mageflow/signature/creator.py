"""MageFlow's module-level functions: ``asign``/``sign``, ``load_signature`` and the key helpers."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import datetime
from typing import Any, AsyncIterator, Dict, Iterable, List, Optional, Union

from ...errors import SignatureLocked
from ...types import RemoveResult, Status
from ..connection import get_client
from ..differences import explained
from ..leases import hold, held_lock_id, release
from ..schema import input_schema_of, task_name_of, validator_of_task
from .model import TaskIdentifierType, TaskSignature
from .status import PauseActionTypes, SignatureStatus, TaskStatus

__all__ = [
    "asign",
    "sign",
    "load_signature",
    "resume",
    "resume_task",
    "pause",
    "suspend",
    "interrupt",
    "remove",
    "delete_signature",
    "lock_task",
]

CallbackLike = Union[TaskIdentifierType, TaskSignature]
StatusOption = Union[TaskStatus, SignatureStatus, str]

# asign's options that are signature fields; every other keyword argument becomes a kwarg of the task.
SIGNATURE_OPTIONS = frozenset(
    {
        "kwargs",
        "creation_time",
        "model_validators",
        "success_callbacks",
        "error_callbacks",
        "task_status",
        "task_identifiers",
        "return_field_name",
        "metadata",
        "request_id",
    }
)


async def asign(task: Any, **options: Any) -> TaskSignature:
    """Creates a signature of ``task`` (a task name or a Hatchet task object), as MageFlow's ``asign``.

    Options named like signature fields set them: ``kwargs`` (dict), ``creation_time``,
    ``model_validators`` (a pydantic model: its JSON Schema becomes the signature's input schema; for a
    Hatchet task object it defaults to the task's input model), ``success_callbacks`` /
    ``error_callbacks`` (signatures or keys, which must exist), ``task_status`` (PENDING or SUSPENDED),
    ``task_identifiers`` (string metadata sent to Hatchet with every run). The service adds
    ``return_field_name``, ``metadata`` and ``request_id``. Every other keyword argument is a kwarg:
    ``await asign("process-order", priority="high")`` binds ``{"priority": "high"}``.
    """
    fields = {name: options.pop(name) for name in list(options) if name in SIGNATURE_OPTIONS}
    kwargs: Dict[str, Any] = dict(fields.get("kwargs") or {})
    kwargs.update(options)
    model = fields.get("model_validators")
    if model is None and not isinstance(task, str):
        model = validator_of_task(task)
    metadata: Dict[str, str] = {str(k): str(v) for k, v in (fields.get("task_identifiers") or {}).items()}
    metadata.update(fields.get("metadata") or {})
    creation_time: Optional[datetime] = fields.get("creation_time")
    with explained():
        sig = await get_client().asign(
            task_name_of(task),
            kwargs,
            success_callbacks=_keys(fields.get("success_callbacks")),
            error_callbacks=_keys(fields.get("error_callbacks")),
            task_status=_status(fields.get("task_status")),
            return_field_name=fields.get("return_field_name"),
            input_schema=input_schema_of(model),
            metadata=metadata,
            request_id=fields.get("request_id"),
            creation_time=creation_time,
        )
    return TaskSignature(sig, model)


sign = asign


async def load_signature(key: TaskIdentifierType) -> Optional[TaskSignature]:
    """The stored signature, or ``None`` if it does not exist or expired."""
    return await TaskSignature.get_safe(key)


async def resume(task_id: TaskIdentifierType) -> None:
    """Resumes a suspended or interrupted signature by key."""
    with explained():
        await get_client().resume(task_id, lock_id=held_lock_id(task_id))


resume_task = resume


async def pause(task_id: TaskIdentifierType, pause_type: PauseActionTypes = PauseActionTypes.SUSPEND) -> None:
    """Pauses a signature by key: ``SUSPEND`` (default) or ``INTERRUPT``."""
    hard = PauseActionTypes(pause_type) is PauseActionTypes.INTERRUPT
    with explained():
        await get_client().pause(task_id, hard=hard, lock_id=held_lock_id(task_id))


async def suspend(task_id: TaskIdentifierType) -> None:
    """Suspends a signature by key."""
    await pause(task_id, PauseActionTypes.SUSPEND)


async def interrupt(task_id: TaskIdentifierType) -> None:
    """Interrupts a signature by key."""
    await pause(task_id, PauseActionTypes.INTERRUPT)


async def remove(task_id: TaskIdentifierType, with_error: bool = True, with_success: bool = True) -> RemoveResult:
    """Retires a signature by key and, per flags, its callback trees."""
    with explained():
        return await get_client().remove(task_id, with_error, with_success, lock_id=held_lock_id(task_id))


async def delete_signature(task_id: TaskIdentifierType) -> int:
    """Deletes a signature at once by key."""
    return await TaskSignature.delete_signature(task_id)


@contextlib.asynccontextmanager
async def lock_task(
    task_id: TaskIdentifierType, *, ttl: float = 30.0, owner: str = "", wait: float = 10.0
) -> AsyncIterator[TaskSignature]:
    """Holds the signature's lease for the block and yields the signature.

    While it is held nobody else can change, run or delete the signature; inside the block this
    library's calls on that key carry the lease by themselves. Taking it waits up to ``wait`` seconds
    for another holder (then raises :class:`SignatureLocked`); the lease ends after ``ttl`` seconds even
    if the block is still running, and is released when the block ends.
    """
    client = get_client()
    lock = client.lock(task_id, ttl=ttl, owner=owner)
    deadline = time.monotonic() + wait
    delay = 0.05
    while True:
        try:
            with explained():
                await lock.acquire()
            break
        except SignatureLocked:
            if time.monotonic() + delay > deadline:
                raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)
    assert lock.lock_id is not None and lock.signature is not None
    token = hold(task_id, lock.lock_id)
    try:
        yield TaskSignature(lock.signature)
    except BaseException as exc:
        release(token)
        await lock.__aexit__(type(exc), exc, exc.__traceback__)  # a failed release only logs then
        raise
    release(token)
    await lock.__aexit__(None, None, None)


def _keys(callbacks: Optional[Iterable[CallbackLike]]) -> List[str]:
    out: List[str] = []
    for cb in callbacks or ():
        if isinstance(cb, TaskSignature):
            out.append(cb.key)
        elif isinstance(cb, str):
            out.append(cb)
        else:
            raise TypeError(f"a callback must be a TaskSignature or a signature key, got {type(cb).__name__}")
    return out


def _status(value: Optional[StatusOption]) -> Optional[Status]:
    if value is None:
        return None
    if isinstance(value, TaskStatus):
        value = value.status
    return SignatureStatus(value).to_status()
