from google.protobuf import struct_pb2 as _struct_pb2
from mageflow_signatures._gen.mageflow.v1 import signature_pb2 as _signature_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StartDecision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    START_DECISION_UNSPECIFIED: _ClassVar[StartDecision]
    START_DECISION_RUN: _ClassVar[StartDecision]
    START_DECISION_SKIP: _ClassVar[StartDecision]
START_DECISION_UNSPECIFIED: StartDecision
START_DECISION_RUN: StartDecision
START_DECISION_SKIP: StartDecision

class StartTaskRequest(_message.Message):
    __slots__ = ("key", "run_id", "attempt", "lock_id")
    KEY_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    LOCK_ID_FIELD_NUMBER: _ClassVar[int]
    key: str
    run_id: str
    attempt: int
    lock_id: str
    def __init__(self, key: _Optional[str] = ..., run_id: _Optional[str] = ..., attempt: _Optional[int] = ..., lock_id: _Optional[str] = ...) -> None: ...

class StartTaskResponse(_message.Message):
    __slots__ = ("decision", "skip_reason", "signature")
    DECISION_FIELD_NUMBER: _ClassVar[int]
    SKIP_REASON_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    decision: StartDecision
    skip_reason: str
    signature: _signature_pb2.Signature
    def __init__(self, decision: _Optional[_Union[StartDecision, str]] = ..., skip_reason: _Optional[str] = ..., signature: _Optional[_Union[_signature_pb2.Signature, _Mapping]] = ...) -> None: ...

class CompleteTaskRequest(_message.Message):
    __slots__ = ("key", "run_id", "result", "lock_id")
    KEY_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    LOCK_ID_FIELD_NUMBER: _ClassVar[int]
    key: str
    run_id: str
    result: _struct_pb2.Value
    lock_id: str
    def __init__(self, key: _Optional[str] = ..., run_id: _Optional[str] = ..., result: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., lock_id: _Optional[str] = ...) -> None: ...

class CompleteTaskResponse(_message.Message):
    __slots__ = ("signature", "dispatched_callbacks")
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    DISPATCHED_CALLBACKS_FIELD_NUMBER: _ClassVar[int]
    signature: _signature_pb2.Signature
    dispatched_callbacks: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, signature: _Optional[_Union[_signature_pb2.Signature, _Mapping]] = ..., dispatched_callbacks: _Optional[_Iterable[str]] = ...) -> None: ...

class FailTaskRequest(_message.Message):
    __slots__ = ("key", "run_id", "error", "final", "lock_id")
    KEY_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FINAL_FIELD_NUMBER: _ClassVar[int]
    LOCK_ID_FIELD_NUMBER: _ClassVar[int]
    key: str
    run_id: str
    error: _signature_pb2.TaskError
    final: bool
    lock_id: str
    def __init__(self, key: _Optional[str] = ..., run_id: _Optional[str] = ..., error: _Optional[_Union[_signature_pb2.TaskError, _Mapping]] = ..., final: bool = ..., lock_id: _Optional[str] = ...) -> None: ...

class FailTaskResponse(_message.Message):
    __slots__ = ("signature", "dispatched_callbacks")
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    DISPATCHED_CALLBACKS_FIELD_NUMBER: _ClassVar[int]
    signature: _signature_pb2.Signature
    dispatched_callbacks: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, signature: _Optional[_Union[_signature_pb2.Signature, _Mapping]] = ..., dispatched_callbacks: _Optional[_Iterable[str]] = ...) -> None: ...
