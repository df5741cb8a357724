from google.protobuf import timestamp_pb2 as _timestamp_pb2
from mageflow_signatures._gen.mageflow.v1 import signature_pb2 as _signature_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_TYPE_UNSPECIFIED: _ClassVar[EventType]
    EVENT_TYPE_INITIAL: _ClassVar[EventType]
    EVENT_TYPE_CREATED: _ClassVar[EventType]
    EVENT_TYPE_UPDATED: _ClassVar[EventType]
    EVENT_TYPE_STATUS_CHANGED: _ClassVar[EventType]
    EVENT_TYPE_RUN_QUEUED: _ClassVar[EventType]
    EVENT_TYPE_DISPATCHED: _ClassVar[EventType]
    EVENT_TYPE_LOCKED: _ClassVar[EventType]
    EVENT_TYPE_UNLOCKED: _ClassVar[EventType]
    EVENT_TYPE_REMOVED: _ClassVar[EventType]
    EVENT_TYPE_DELETED: _ClassVar[EventType]
    EVENT_TYPE_ATTEMPT_FAILED: _ClassVar[EventType]
EVENT_TYPE_UNSPECIFIED: EventType
EVENT_TYPE_INITIAL: EventType
EVENT_TYPE_CREATED: EventType
EVENT_TYPE_UPDATED: EventType
EVENT_TYPE_STATUS_CHANGED: EventType
EVENT_TYPE_RUN_QUEUED: EventType
EVENT_TYPE_DISPATCHED: EventType
EVENT_TYPE_LOCKED: EventType
EVENT_TYPE_UNLOCKED: EventType
EVENT_TYPE_REMOVED: EventType
EVENT_TYPE_DELETED: EventType
EVENT_TYPE_ATTEMPT_FAILED: EventType

class SignatureEvent(_message.Message):
    __slots__ = ("revision", "type", "key", "task_name", "status", "last_status", "run_id", "event_time", "signature")
    REVISION_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    TASK_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LAST_STATUS_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    revision: int
    type: EventType
    key: str
    task_name: str
    status: _signature_pb2.Status
    last_status: _signature_pb2.Status
    run_id: str
    event_time: _timestamp_pb2.Timestamp
    signature: _signature_pb2.Signature
    def __init__(self, revision: _Optional[int] = ..., type: _Optional[_Union[EventType, str]] = ..., key: _Optional[str] = ..., task_name: _Optional[str] = ..., status: _Optional[_Union[_signature_pb2.Status, str]] = ..., last_status: _Optional[_Union[_signature_pb2.Status, str]] = ..., run_id: _Optional[str] = ..., event_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., signature: _Optional[_Union[_signature_pb2.Signature, _Mapping]] = ...) -> None: ...
