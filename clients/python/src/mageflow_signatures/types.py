"""Plain Python views of the service's messages (the generated ones stay reachable as ``.proto``)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Mapping, Optional, Union

from google.protobuf import duration_pb2, json_format, struct_pb2, timestamp_pb2

from ._gen.mageflow.v1 import event_pb2, signature_pb2, signature_service_pb2, worker_service_pb2

__all__ = [
    "Status",
    "EventType",
    "DispatchState",
    "TaskError",
    "SignatureRun",
    "SignatureLock",
    "Signature",
    "SignatureEvent",
    "RunResult",
    "RemoveResult",
    "ListPage",
    "StartResult",
    "TaskReport",
    "JSONObject",
]

JSONObject = Dict[str, Any]


class Status(enum.IntEnum):
    """Lifecycle status of a signature (``mageflow.v1.Status``). DONE, FAILED, CANCELED are terminal."""

    UNSPECIFIED = signature_pb2.STATUS_UNSPECIFIED
    PENDING = signature_pb2.STATUS_PENDING
    ACTIVE = signature_pb2.STATUS_ACTIVE
    DONE = signature_pb2.STATUS_DONE
    FAILED = signature_pb2.STATUS_FAILED
    SUSPENDED = signature_pb2.STATUS_SUSPENDED
    INTERRUPTED = signature_pb2.STATUS_INTERRUPTED
    CANCELED = signature_pb2.STATUS_CANCELED

    @property
    def terminal(self) -> bool:
        return self in (Status.DONE, Status.FAILED, Status.CANCELED)

    @classmethod
    def parse(cls, value: Union["Status", str, int]) -> "Status":
        """Accepts a Status, its name (``"PENDING"`` or ``"STATUS_PENDING"``, any case) or its number."""
        if isinstance(value, Status):
            return value
        if isinstance(value, str):
            name = value.upper()
            if name.startswith("STATUS_"):
                name = name[len("STATUS_") :]
            return cls[name]
        return cls(value)


class EventType(enum.IntEnum):
    """Kind of a watch event (``mageflow.v1.EventType``)."""

    UNSPECIFIED = event_pb2.EVENT_TYPE_UNSPECIFIED
    INITIAL = event_pb2.EVENT_TYPE_INITIAL
    CREATED = event_pb2.EVENT_TYPE_CREATED
    UPDATED = event_pb2.EVENT_TYPE_UPDATED
    STATUS_CHANGED = event_pb2.EVENT_TYPE_STATUS_CHANGED
    RUN_QUEUED = event_pb2.EVENT_TYPE_RUN_QUEUED
    DISPATCHED = event_pb2.EVENT_TYPE_DISPATCHED
    LOCKED = event_pb2.EVENT_TYPE_LOCKED
    UNLOCKED = event_pb2.EVENT_TYPE_UNLOCKED
    REMOVED = event_pb2.EVENT_TYPE_REMOVED
    DELETED = event_pb2.EVENT_TYPE_DELETED
    ATTEMPT_FAILED = event_pb2.EVENT_TYPE_ATTEMPT_FAILED


class DispatchState(enum.IntEnum):
    """Where the dispatch of a run stands (``mageflow.v1.DispatchState``)."""

    UNSPECIFIED = signature_pb2.DISPATCH_STATE_UNSPECIFIED
    QUEUED = signature_pb2.DISPATCH_STATE_QUEUED
    TRIGGERED = signature_pb2.DISPATCH_STATE_TRIGGERED
    PARKED = signature_pb2.DISPATCH_STATE_PARKED


def _enum(cls: Any, value: int) -> Any:
    try:
        return cls(value)
    except ValueError:  # a value added to the contract after this client was built
        return cls.UNSPECIFIED


# JSON numbers travel as doubles (google.protobuf.Struct): integers are exact up to 2**53.
MAX_SAFE_INTEGER = 2**53


def _check_ints(value: Any, path: str) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValueError(
                f"{path or 'value'}: {value} is beyond +-2**53, which a JSON number (a double) cannot carry"
                " exactly; send it as a string"
            )
    elif isinstance(value, Mapping):
        for k, v in value.items():
            _check_ints(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_ints(v, f"{path}[{i}]")


def to_struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    """A JSON object as a Struct; integers beyond +-2**53 raise ValueError instead of losing digits."""
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a JSON object (a mapping), got {type(value).__name__}")
    _check_ints(value, "")
    struct = struct_pb2.Struct()
    struct.update(dict(value))
    return struct


def _number(n: float) -> Union[int, float]:
    """Integral doubles within +-2**53 come back as int (7 stays 7, not 7.0); others stay float."""
    if n.is_integer() and abs(n) <= MAX_SAFE_INTEGER:
        return int(n)
    return n


def _plain(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        return _number(value.number_value)
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        return from_struct(value.struct_value)
    if kind == "list_value":
        return [_plain(v) for v in value.list_value.values]
    return None


def from_struct(struct: struct_pb2.Struct) -> JSONObject:
    return {k: _plain(v) for k, v in struct.fields.items()}


def to_value(value: Any) -> struct_pb2.Value:
    _check_ints(value, "")
    out = struct_pb2.Value()
    json_format.ParseDict(value, out)
    return out


def from_value(value: struct_pb2.Value) -> Any:
    return _plain(value)


def to_timestamp(value: datetime) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    ts.FromDatetime(value.astimezone(timezone.utc))
    return ts


def from_timestamp(msg: Any, name: str) -> Optional[datetime]:
    if not msg.HasField(name):
        return None
    ts: timestamp_pb2.Timestamp = getattr(msg, name)
    return ts.ToDatetime(tzinfo=timezone.utc)


def to_duration(value: Union[float, int, timedelta]) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    if isinstance(value, timedelta):
        d.FromTimedelta(value)
    else:
        d.FromNanoseconds(int(round(float(value) * 1e9)))
    return d


@dataclass(frozen=True)
class InlineTask:
    """A child created together with its chain or swarm, in the same atomic step (``ContainerTask.signature``):
    the task name and what :meth:`Client.asign` takes. Callbacks are keys of existing signatures."""

    task_name: str
    kwargs: Optional[Mapping[str, Any]] = None
    success_callbacks: "tuple[str, ...]" = ()
    error_callbacks: "tuple[str, ...]" = ()
    return_field_name: Optional[str] = None
    metadata: Optional[Mapping[str, str]] = None


@dataclass(frozen=True)
class TaskError:
    """An error a worker reported for a run."""

    message: str
    type: str = ""
    attempt: int = 0

    @classmethod
    def from_proto(cls, msg: signature_pb2.TaskError) -> "TaskError":
        return cls(message=msg.message, type=msg.type, attempt=msg.attempt)


@dataclass(frozen=True)
class SignatureRun:
    """One dispatch of a signature to the task engine."""

    run_id: str
    attempt: int
    dispatch_time: Optional[datetime]
    last_input: JSONObject
    dispatch_state: DispatchState
    result: Any = None
    error: Optional[TaskError] = None

    @classmethod
    def from_proto(cls, msg: signature_pb2.SignatureRun) -> "SignatureRun":
        return cls(
            run_id=msg.run_id,
            attempt=msg.attempt,
            dispatch_time=from_timestamp(msg, "dispatch_time"),
            last_input=from_struct(msg.last_input),
            dispatch_state=_enum(DispatchState, msg.dispatch_state),
            result=from_value(msg.result) if msg.HasField("result") else None,
            error=TaskError.from_proto(msg.error) if msg.HasField("error") else None,
        )


@dataclass(frozen=True)
class SignatureLock:
    """The lease held on a signature (``lock_id`` is only known to the holder)."""

    lock_id: str
    owner: str
    expire_time: Optional[datetime]

    @classmethod
    def from_proto(cls, msg: signature_pb2.SignatureLock) -> "SignatureLock":
        return cls(lock_id=msg.lock_id, owner=msg.owner, expire_time=from_timestamp(msg, "expire_time"))


@dataclass(frozen=True)
class Signature:
    """A stored call recipe: task name, bound kwargs, callbacks and status (``mageflow.v1.Signature``)."""

    key: str
    task_name: str
    kwargs: JSONObject
    status: Status
    last_status: Status
    success_callbacks: List[str]
    error_callbacks: List[str]
    return_field_name: str
    revision: int
    creation_time: Optional[datetime] = None
    update_time: Optional[datetime] = None
    expire_time: Optional[datetime] = None
    input_schema: Optional[JSONObject] = None
    container_key: str = ""
    run: Optional[SignatureRun] = None
    lock: Optional[SignatureLock] = None
    metadata: Dict[str, str] = field(default_factory=dict)
    removed: bool = False
    proto: Optional[signature_pb2.Signature] = field(default=None, repr=False, compare=False)

    @property
    def task_id(self) -> str:
        """MageFlow's name for the key."""
        return self.key

    @classmethod
    def from_proto(cls, msg: signature_pb2.Signature) -> "Signature":
        return cls(
            key=msg.key,
            task_name=msg.task_name,
            kwargs=from_struct(msg.kwargs),
            status=_enum(Status, msg.task_status.status),
            last_status=_enum(Status, msg.task_status.last_status),
            success_callbacks=list(msg.success_callbacks),
            error_callbacks=list(msg.error_callbacks),
            return_field_name=msg.return_field_name,
            revision=msg.revision,
            creation_time=from_timestamp(msg, "creation_time"),
            update_time=from_timestamp(msg, "update_time"),
            expire_time=from_timestamp(msg, "expire_time"),
            input_schema=from_struct(msg.input_schema) if msg.HasField("input_schema") else None,
            container_key=msg.container_key,
            run=SignatureRun.from_proto(msg.run) if msg.HasField("run") else None,
            lock=SignatureLock.from_proto(msg.lock) if msg.HasField("lock") else None,
            metadata=dict(msg.metadata),
            removed=msg.removed,
            proto=msg,
        )


@dataclass(frozen=True)
class SignatureEvent:
    """One change of one signature, from a watch."""

    revision: int
    type: EventType
    key: str
    task_name: str
    status: Status
    last_status: Status
    run_id: str
    event_time: Optional[datetime]
    signature: Optional[Signature]
    proto: Optional[event_pb2.SignatureEvent] = field(default=None, repr=False, compare=False)

    @classmethod
    def from_proto(cls, msg: event_pb2.SignatureEvent) -> "SignatureEvent":
        return cls(
            revision=msg.revision,
            type=_enum(EventType, msg.type),
            key=msg.key,
            task_name=msg.task_name,
            status=_enum(Status, msg.status),
            last_status=_enum(Status, msg.last_status),
            run_id=msg.run_id,
            event_time=from_timestamp(msg, "event_time"),
            signature=Signature.from_proto(msg.signature) if msg.HasField("signature") else None,
            proto=msg,
        )


@dataclass(frozen=True)
class RunResult:
    """What ``run_no_wait`` returns."""

    signature: Signature
    run_id: str
    dispatch_state: DispatchState

    @classmethod
    def from_proto(cls, msg: signature_service_pb2.RunSignatureResponse) -> "RunResult":
        return cls(
            signature=Signature.from_proto(msg.signature),
            run_id=msg.run_id,
            dispatch_state=_enum(DispatchState, msg.dispatch_state),
        )


@dataclass(frozen=True)
class RemoveResult:
    """What ``remove`` returns: every key removed (the requested one first) and the store revision."""

    removed_keys: List[str]
    revision: int


@dataclass(frozen=True)
class ListPage:
    """One page of ``list``."""

    signatures: List[Signature]
    next_page_token: str


@dataclass(frozen=True)
class StartResult:
    """What ``start_task`` returns: run the user function only if :attr:`run` is true."""

    run: bool
    skip_reason: str
    signature: Optional[Signature]

    @classmethod
    def from_proto(cls, msg: worker_service_pb2.StartTaskResponse) -> "StartResult":
        return cls(
            run=msg.decision == worker_service_pb2.START_DECISION_RUN,
            skip_reason=msg.skip_reason,
            signature=Signature.from_proto(msg.signature) if msg.HasField("signature") else None,
        )


@dataclass(frozen=True)
class TaskReport:
    """What ``complete_task``/``fail_task`` return: the signature and the callbacks dispatched."""

    signature: Optional[Signature]
    dispatched_callbacks: List[str]
