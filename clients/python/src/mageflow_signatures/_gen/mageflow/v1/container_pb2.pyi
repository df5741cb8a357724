from mageflow_signatures._gen.mageflow.v1 import signature_pb2 as _signature_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Container(_message.Message):
    __slots__ = ("signature", "kind", "child_keys", "child_count", "current_step", "swarm_config", "closed", "in_flight", "failed_count", "summary")
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CHILD_KEYS_FIELD_NUMBER: _ClassVar[int]
    CHILD_COUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENT_STEP_FIELD_NUMBER: _ClassVar[int]
    SWARM_CONFIG_FIELD_NUMBER: _ClassVar[int]
    CLOSED_FIELD_NUMBER: _ClassVar[int]
    IN_FLIGHT_FIELD_NUMBER: _ClassVar[int]
    FAILED_COUNT_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    signature: _signature_pb2.Signature
    kind: _signature_pb2.ContainerKind
    child_keys: _containers.RepeatedScalarFieldContainer[str]
    child_count: int
    current_step: int
    swarm_config: SwarmConfig
    closed: bool
    in_flight: int
    failed_count: int
    summary: ContainerSummary
    def __init__(self, signature: _Optional[_Union[_signature_pb2.Signature, _Mapping]] = ..., kind: _Optional[_Union[_signature_pb2.ContainerKind, str]] = ..., child_keys: _Optional[_Iterable[str]] = ..., child_count: _Optional[int] = ..., current_step: _Optional[int] = ..., swarm_config: _Optional[_Union[SwarmConfig, _Mapping]] = ..., closed: bool = ..., in_flight: _Optional[int] = ..., failed_count: _Optional[int] = ..., summary: _Optional[_Union[ContainerSummary, _Mapping]] = ...) -> None: ...

class SwarmConfig(_message.Message):
    __slots__ = ("max_concurrency", "stop_after_n_failures", "max_tasks", "send_message_to_children")
    MAX_CONCURRENCY_FIELD_NUMBER: _ClassVar[int]
    STOP_AFTER_N_FAILURES_FIELD_NUMBER: _ClassVar[int]
    MAX_TASKS_FIELD_NUMBER: _ClassVar[int]
    SEND_MESSAGE_TO_CHILDREN_FIELD_NUMBER: _ClassVar[int]
    max_concurrency: int
    stop_after_n_failures: int
    max_tasks: int
    send_message_to_children: bool
    def __init__(self, max_concurrency: _Optional[int] = ..., stop_after_n_failures: _Optional[int] = ..., max_tasks: _Optional[int] = ..., send_message_to_children: bool = ...) -> None: ...

class ContainerSummary(_message.Message):
    __slots__ = ("total", "pending", "active", "done", "failed", "suspended", "interrupted", "canceled")
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    SUSPENDED_FIELD_NUMBER: _ClassVar[int]
    INTERRUPTED_FIELD_NUMBER: _ClassVar[int]
    CANCELED_FIELD_NUMBER: _ClassVar[int]
    total: int
    pending: int
    active: int
    done: int
    failed: int
    suspended: int
    interrupted: int
    canceled: int
    def __init__(self, total: _Optional[int] = ..., pending: _Optional[int] = ..., active: _Optional[int] = ..., done: _Optional[int] = ..., failed: _Optional[int] = ..., suspended: _Optional[int] = ..., interrupted: _Optional[int] = ..., canceled: _Optional[int] = ...) -> None: ...
