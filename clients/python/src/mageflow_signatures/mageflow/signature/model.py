"""MageFlow's ``TaskSignature`` over the service."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional

from ...errors import NotFound
from ...types import RemoveResult, RunResult, Signature
from ..connection import get_client
from ..differences import explained
from ..leases import held_lock_id
from ..schema import message_json
from .status import PauseActionTypes, SignatureStatus, TaskStatus

__all__ = ["TaskSignature", "TaskIdentifierType"]

TaskIdentifierType = str


class TaskSignature:
    """A stored signature with MageFlow's properties and methods.

    The properties are a snapshot of the service's record, refreshed by every method that changes it
    (:meth:`reload` reads it again). ``model_validators`` is the pydantic model given to ``asign`` in
    this process (``None`` when loaded); the service keeps its JSON Schema as :attr:`input_schema`.
    """

    def __init__(self, signature: Signature, model_validators: Any = None) -> None:
        self.signature = signature
        self.model_validators = model_validators

    # ---------------------------------------------------------------- properties

    @property
    def key(self) -> str:
        """The signature's identifier, ``TaskSignature:<uuid4>``."""
        return self.signature.key

    @property
    def task_name(self) -> str:
        return self.signature.task_name

    @property
    def kwargs(self) -> Dict[str, Any]:
        return self.signature.kwargs

    @property
    def creation_time(self) -> Optional[datetime]:
        return self.signature.creation_time

    @property
    def success_callbacks(self) -> List[str]:
        return self.signature.success_callbacks

    @property
    def error_callbacks(self) -> List[str]:
        return self.signature.error_callbacks

    @property
    def task_status(self) -> TaskStatus:
        run = self.signature.run
        return TaskStatus(
            status=SignatureStatus.from_status(self.signature.status),
            last_status=SignatureStatus.from_status(self.signature.last_status),
            worker_task_id=run.run_id if run else "",
        )

    @property
    def input_schema(self) -> Optional[Dict[str, Any]]:
        return self.signature.input_schema

    @property
    def return_field_name(self) -> str:
        return self.signature.return_field_name

    def __repr__(self) -> str:
        return f"TaskSignature(key={self.key!r}, task_name={self.task_name!r}, status={self.task_status.status.value!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TaskSignature) and other.signature == self.signature

    __hash__ = None  # type: ignore[assignment]

    # ---------------------------------------------------------------- class methods

    @classmethod
    async def get_safe(cls, key: TaskIdentifierType) -> Optional["TaskSignature"]:
        """The stored signature, or ``None`` if it does not exist or was removed, as MageFlow's
        ``load_signature`` (the service keeps a removed signature readable until it expires: the plain
        client's ``load_signature`` returns it)."""
        try:
            sig = await get_client().load_signature(key)
        except NotFound:
            return None
        return None if sig.removed else cls(sig)

    @classmethod
    async def delete_signature(cls, task_id: TaskIdentifierType) -> int:
        """Deletes a signature at once (``DeleteSignature``); returns the store revision."""
        with explained():
            return await get_client().delete(task_id, lock_id=held_lock_id(task_id))

    # ---------------------------------------------------------------- instance methods

    async def reload(self) -> "TaskSignature":
        """Reads the signature again."""
        self.signature = await get_client().load_signature(self.key)
        return self

    async def aio_run_no_wait(
        self,
        msg: Any = None,
        *,
        metadata: Optional[Mapping[str, str]] = None,
        request_id: Optional[str] = None,
    ) -> RunResult:
        """Runs the task with ``msg`` (a pydantic model or a dict) without waiting for it.

        The task's input is ``msg`` with the signature's kwargs merged over it (kwargs win). Returns the
        run (``run_id`` once Hatchet accepted it); a signature runs once (another call raises
        ``FailedPrecondition`` ``ALREADY_DISPATCHED`` unless ``request_id`` is the same).
        """
        with explained():
            result = await get_client().run_no_wait(
                self.key, message_json(msg), metadata, request_id=request_id, lock_id=held_lock_id(self.key)
            )
        self.signature = result.signature
        return result

    async def remove(self, with_error: bool = True, with_success: bool = True) -> RemoveResult:
        """Retires the signature and, per flags, its error and success callback trees."""
        with explained():
            result = await get_client().remove(self.key, with_error, with_success, lock_id=held_lock_id(self.key))
        await self._reload_quietly()
        return result

    async def suspend(self) -> None:
        """Holds the task before it starts (SUSPENDED); refused once a worker started it."""
        with explained():
            self.signature = await get_client().suspend(self.key, lock_id=held_lock_id(self.key))

    async def resume(self) -> None:
        """Returns a suspended or interrupted task to PENDING; a task that had a run is run again."""
        with explained():
            self.signature = await get_client().resume(self.key, lock_id=held_lock_id(self.key))

    async def interrupt(self) -> None:
        """Stops the task, cancelling its Hatchet run if it has one (INTERRUPTED; resumable)."""
        with explained():
            self.signature = await get_client().interrupt(self.key, lock_id=held_lock_id(self.key))

    async def pause_task(self, pause_type: PauseActionTypes = PauseActionTypes.SUSPEND) -> None:
        """``SUSPEND`` suspends, ``INTERRUPT`` interrupts."""
        kind = PauseActionTypes(pause_type)
        with explained():
            self.signature = await get_client().pause(
                self.key, hard=kind is PauseActionTypes.INTERRUPT, lock_id=held_lock_id(self.key)
            )

    async def cancel(self) -> None:
        """Cancels the task for good (CANCELED), with its run and both callback trees."""
        with explained():
            self.signature = await get_client().cancel(self.key, lock_id=held_lock_id(self.key))

    async def _reload_quietly(self) -> None:
        try:
            await self.reload()
        except NotFound:
            pass
