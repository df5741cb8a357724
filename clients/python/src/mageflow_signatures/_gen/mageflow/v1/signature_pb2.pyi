from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ContainerKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONTAINER_KIND_UNSPECIFIED: _ClassVar[ContainerKind]
    CONTAINER_KIND_CHAIN: _ClassVar[ContainerKind]
    CONTAINER_KIND_SWARM: _ClassVar[ContainerKind]

class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STATUS_UNSPECIFIED: _ClassVar[Status]
    STATUS_PENDING: _ClassVar[Status]
    STATUS_ACTIVE: _ClassVar[Status]
    STATUS_DONE: _ClassVar[Status]
    STATUS_FAILED: _ClassVar[Status]
    STATUS_SUSPENDED: _ClassVar[Status]
    STATUS_INTERRUPTED: _ClassVar[Status]
    STATUS_CANCELED: _ClassVar[Status]

class DispatchState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DISPATCH_STATE_UNSPECIFIED: _ClassVar[DispatchState]
    DISPATCH_STATE_QUEUED: _ClassVar[DispatchState]
    DISPATCH_STATE_TRIGGERED: _ClassVar[DispatchState]
    DISPATCH_STATE_PARKED: _ClassVar[DispatchState]
CONTAINER_KIND_UNSPECIFIED: ContainerKind
CONTAINER_KIND_CHAIN: ContainerKind
CONTAINER_KIND_SWARM: ContainerKind
STATUS_UNSPECIFIED: Status
STATUS_PENDING: Status
STATUS_ACTIVE: Status
STATUS_DONE: Status
STATUS_FAILED: Status
STATUS_SUSPENDED: Status
STATUS_INTERRUPTED: Status
STATUS_CANCELED: Status
DISPATCH_STATE_UNSPECIFIED: DispatchState
DISPATCH_STATE_QUEUED: DispatchState
DISPATCH_STATE_TRIGGERED: DispatchState
DISPATCH_STATE_PARKED: DispatchState

class Signature(_message.Message):
    __slots__ = ("key", "task_name", "kwargs", "creation_time", "update_time", "success_callbacks", "error_callbacks", "task_status", "return_field_name", "input_schema", "container_key", "revision", "expire_time", "run", "lock", "metadata", "removed", "container_kind")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    KEY_FIELD_NUMBER: _ClassVar[int]
    TASK_NAME_FIELD_NUMBER: _ClassVar[int]
    KWARGS_FIELD_NUMBER: _ClassVar[int]
    CREATION_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_CALLBACKS_FIELD_NUMBER: _ClassVar[int]
    ERROR_CALLBACKS_FIELD_NUMBER: _ClassVar[int]
    TASK_STATUS_FIELD_NUMBER: _ClassVar[int]
    RETURN_FIELD_NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_KEY_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    RUN_FIELD_NUMBER: _ClassVar[int]
    LOCK_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_KIND_FIELD_NUMBER: _ClassVar[int]
    key: str
    task_name: str
    kwargs: _struct_pb2.Struct
    creation_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    success_callbacks: _containers.RepeatedScalarFieldContainer[str]
    error_callbacks: _containers.RepeatedScalarFieldContainer[str]
    task_status: TaskStatus
    return_field_name: str
    input_schema: _struct_pb2.Struct
    container_key: str
    revision: int
    expire_time: _timestamp_pb2.Timestamp
    run: SignatureRun
    lock: SignatureLock
    metadata: _containers.ScalarMap[str, str]
    removed: bool
    container_kind: ContainerKind
    def __init__(self, key: _Optional[str] = ..., task_name: _Optional[str] = ..., kwargs: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., creation_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., success_callbacks: _Optional[_Iterable[str]] = ..., error_callbacks: _Optional[_Iterable[str]] = ..., task_status: _Optional[_Union[TaskStatus, _Mapping]] = ..., return_field_name: _Optional[str] = ..., input_schema: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., container_key: _Optional[str] = ..., revision: _Optional[int] = ..., expire_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., run: _Optional[_Union[SignatureRun, _Mapping]] = ..., lock: _Optional[_Union[SignatureLock, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ..., removed: bool = ..., container_kind: _Optional[_Union[ContainerKind, str]] = ...) -> None: ...

class TaskStatus(_message.Message):
    __slots__ = ("status", "last_status")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LAST_STATUS_FIELD_NUMBER: _ClassVar[int]
    status: Status
    last_status: Status
    def __init__(self, status: _Optional[_Union[Status, str]] = ..., last_status: _Optional[_Union[Status, str]] = ...) -> None: ...

class SignatureRun(_message.Message):
    __slots__ = ("run_id", "attempt", "dispatch_time", "last_input", "dispatch_state", "result", "error")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    DISPATCH_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_INPUT_FIELD_NUMBER: _ClassVar[int]
    DISPATCH_STATE_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    attempt: int
    dispatch_time: _timestamp_pb2.Timestamp
    last_input: _struct_pb2.Struct
    dispatch_state: DispatchState
    result: _struct_pb2.Value
    error: TaskError
    def __init__(self, run_id: _Optional[str] = ..., attempt: _Optional[int] = ..., dispatch_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., last_input: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., dispatch_state: _Optional[_Union[DispatchState, str]] = ..., result: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., error: _Optional[_Union[TaskError, _Mapping]] = ...) -> None: ...

class SignatureLock(_message.Message):
    __slots__ = ("lock_id", "owner", "expire_time")
    LOCK_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    lock_id: str
    owner: str
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, lock_id: _Optional[str] = ..., owner: _Optional[str] = ..., expire_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TaskError(_message.Message):
    __slots__ = ("message", "type", "attempt")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    message: str
    type: str
    attempt: int
    def __init__(self, message: _Optional[str] = ..., type: _Optional[str] = ..., attempt: _Optional[int] = ...) -> None: ...
