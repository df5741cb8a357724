from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from mageflow_signatures._gen.mageflow.v1 import event_pb2 as _event_pb2
from mageflow_signatures._gen.mageflow.v1 import signature_pb2 as _signature_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PauseType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PAUSE_TYPE_UNSPECIFIED: _ClassVar[PauseType]
    PAUSE_TYPE_SOFT: _ClassVar[PauseType]
    PAUSE_TYPE_HARD: _ClassVar[PauseType]
PAUSE_TYPE_UNSPECIFIED: PauseType
PAUSE_TYPE_SOFT: PauseType
PAUSE_TYPE_HARD: PauseType

class CreateSignatureRequest(_message.Message):
    __slots__ = ("task_name", "kwargs", "creation_time", "input_schema", "success_callbacks", "error_callbacks", "task_status", "return_field_name", "metadata", "request_id")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TASK_NAME_FIELD_NUMBER: _ClassVar[int]
    KWARGS_FIELD_NUMBER: _ClassVar[int]
    CREATION_TIME_FIELD_NUMBER: _ClassVar[int]
    INPUT_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_CALLBACKS_FIELD_NUMBER: _ClassVar[int]
    ERROR_CALLBACKS_FIELD_NUMBER: _ClassVar[int]
    TASK_STATUS_FIELD_NUMBER: _ClassVar[int]
    RETURN_FIELD_NAME_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    task_name: str
    kwargs: _struct_pb2.Struct
    creation_time: _timestamp_pb2.Timestamp
    input_schema: _struct_pb2.Struct
    success_callbacks: _containers.RepeatedScalarFieldContainer[str]
    error_callbacks: _containers.RepeatedScalarFieldContainer[str]
    task_status: _signature_pb2.Status
    return_field_name: str
    metadata: _containers.ScalarMap[str, str]
    request_id: str
    def __init__(self, task_name: _Optional[str] = ..., kwargs: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., creation_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., input_schema: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., success_callbacks: _Optional[_Iterable[str]] = ..., error_callbacks: _Optional[_Iterable[str]] = ..., task_status: _Optional[_Union[_signature_pb2.Status, str]] = ..., return_field_name: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateSignatureResponse(_message.Message):
    __slots__ = ("signature",)
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    signature: _signature_pb2.Signature
    def __init__(self, signature: _Optional[_Union[_signature_pb2.Signature, _Mapping]] = ...) -> None: ...

class GetSignatureRequest(_message.Message):
    __slots__ = ("key",)
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: str
    def __init__(self, key: _Optional[str] = ...) -> None: ...

class GetSignatureResponse(_message.Message):
    __slots__ = ("signature",)
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    signature: _signature_pb2.Signature
    def __init__(self, signature: _Optional[_Union[_signature_pb2.Signature, _Mapping]] = ...) -> None: ...

class BatchGetSignaturesRequest(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, keys: _Optional[_Iterable[str]] = ...) -> None: ...

class BatchGetSignaturesResponse(_message.Message):
    __slots__ = ("signatures",)
    SIGNATURES_FIELD_NUMBER: _ClassVar[int]
    signatures: _containers.RepeatedCompositeFieldContainer[_signature_pb2.Signature]
    def __init__(self, signatures: _Optional[_Iterable[_Union[_signature_pb2.Signature, _Mapping]]] = ...) -> None: ...

class ListSignaturesRequest(_message.Message):
    __slots__ = ("statuses", "task_name", "create_time_after", "create_time_before", "page_size", "page_token")
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    TASK_NAME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_AFTER_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_BEFORE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    statuses: _containers.RepeatedScalarFieldContainer[_signature_pb2.Status]
    task_name: str
    create_time_after: _timestamp_pb2.Timestamp
    create_time_before: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, statuses: _Optional[_Iterable[_Union[_signature_pb2.Status, str]]] = ..., task_name: _Optional[str] = ..., create_time_after: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., create_time_before: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSignaturesResponse(_message.Message):
    __slots__ = ("signatures", "next_page_token")
    SIGNATURES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    signatures: _containers.RepeatedCompositeFieldContainer[_signature_pb2.Signature]
    next_page_token: str
    def __init__(self, signatures: _Optional[_Iterable[_Union[_signature_pb2.Signature, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateSignatureRequest(_message.Message):
    __slots__ = ("key", "kwargs", "metadata", "update_mask", "input_schema", "return_field_name", "expected_revision", "lock_id")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    KEY_FIELD_NUMBER: _ClassVar[int]
    KWARGS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    INPUT_SCHEMA_FIELD_NUMBER: _ClassVar[int]
    RETURN_FIELD_NAME_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVISION_FIELD_NUMBER: _ClassVar[int]
    LOCK_ID_FIELD_NUMBER: _ClassVar[int]
    key: str
    kwargs: _struct_pb2.Struct
    metadata: _containers.ScalarMap[str, str]
    update_mask: _field_mask_pb2.FieldMask
    input_schema: _struct_pb2.Struct
    return_field_name: str
    expected_revision: int
    lock_id: str
    def __init__(self, key: _Optional[str] = ..., kwargs: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., input_schema: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., return_field_name: _Optional[str] = ..., expected_revision: _Optional[int] = ..., lock_id: _Optional[str] = ...) -> None: ...

class UpdateSignatureResponse(_message.Message):
    __slots__ = ("signature",)
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    signature: _signature_pb2.Signature
    def __init__(self, signature: _Optional[_Union[_signature_pb2.Signature, _Mapping]] = ...) -> None: ...

class DeleteSignatureRequest(_message.Message):
    __slots__ = ("key", "expected_revision", "lock_id")
    KEY_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVISION_FIELD_NUMBER: _ClassVar[int]
    LOCK_ID_FIELD_NUMBER: _ClassVar[int]
    key: str
    expected_revision: int
    lock_id: str
    def __init__(self, key: _Optional[str] = ..., expected_revision: _Optional[int] = ..., lock_id: _Optional[str] = ...) -> None: ...

class DeleteSignatureResponse(_message.Message):
    __slots__ = ("revision",)
    REVISION_FIELD_NUMBER: _ClassVar[int]
    revision: int
    def __init__(self, revision: _Optional[int] = ...) -> None: ...

class RemoveSignatureRequest(_message.Message):
    __slots__ = ("key", "with_error", "with_success", "expected_revision", "lock_id")
    KEY_FIELD_NUMBER: _ClassVar[int]
    WITH_ERROR_FIELD_NUMBER: _ClassVar[int]
    WITH_SUCCESS_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVISION_FIELD_NUMBER: _ClassVar[int]
    LOCK_ID_FIELD_NUMBER: _ClassVar[int]
    key: str
    with_error: bool
    with_success: bool
    expected_revision: int
    lock_id: str
    def __init__(self, key: _Optional[str] = ..., with_error: bool = ..., with_success: bool = ..., expected_revision: _Optional[int] = ..., lock_id: _Optional[str] = ...) -> None: ...

class RemoveSignatureResponse(_message.Message):
    __slots__ = ("removed_keys", "revision")
    REMOVED_KEYS_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    removed_keys: _containers.RepeatedScalarFieldContainer[str]
    revision: int
    def __init__(self, removed_keys: _Optional[_Iterable[str]] = ..., revision: _Optional[int] = ...) -> None: ...

class RunSignatureRequest(_message.Message):
    __slots__ = ("key", "message", "metadata", "request_id", "expected_revision", "lock_id")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    KEY_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVISION_FIELD_NUMBER: _ClassVar[int]
    LOCK_ID_FIELD_NUMBER: _ClassVar[int]
    key: str
    message: _struct_pb2.Struct
    metadata: _containers.ScalarMap[str, str]
    request_id: str
    expected_revision: int
    lock_id: str
    def __init__(self, key: _Optional[str] = ..., message: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ..., request_id: _Optional[str] = ..., expected_revision: _Optional[int] = ..., lock_id: _Optional[str] = ...) -> None: ...

class RunSignatureResponse(_message.Message):
    __slots__ = ("signature", "run_id", "dispatch_state")
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    DISPATCH_STATE_FIELD_NUMBER: _ClassVar[int]
    signature: _signature_pb2.Signature
    run_id: str
    dispatch_state: _signature_pb2.DispatchState
    def __init__(self, signature: _Optional[_Union[_signature_pb2.Signature, _Mapping]] = ..., run_id: _Optional[str] = ..., dispatch_state: _Optional[_Union[_signature_pb2.DispatchState, str]] = ...) -> None: ...

class SuspendSignatureRequest(_message.Message):
    __slots__ = ("key", "expected_revision", "lock_id")
    KEY_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVISION_FIELD_NUMBER: _ClassVar[int]
    LOCK_ID_FIELD_NUMBER: _ClassVar[int]
    key: str
    expected_revision: int
    lock_id: str
    def __init__(self, key: _Optional[str] = ..., expected_revision: _Optional[int] = ..., lock_id: _Optional[str] = ...) -> None: ...

class SuspendSignatureResponse(_message.Message):
    __slots__ = ("signature",)
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    signature: _signature_pb2.Signature
    def __init__(self, signature: _Optional[_Union[_signature_pb2.Signature, _Mapping]] = ...) -> None: ...

class ResumeSignatureRequest(_message.Message):
    __slots__ = ("key", "expected_revision", "lock_id")
    KEY_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVISION_FIELD_NUMBER: _ClassVar[int]
    LOCK_ID_FIELD_NUMBER: _ClassVar[int]
    key: str
    expected_revision: int
    lock_id: str
    def __init__(self, key: _Optional[str] = ..., expected_revision: _Optional[int] = ..., lock_id: _Optional[str] = ...) -> None: ...

class ResumeSignatureResponse(_message.Message):
    __slots__ = ("signature",)
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    signature: _signature_pb2.Signature
    def __init__(self, signature: _Optional[_Union[_signature_pb2.Signature, _Mapping]] = ...) -> None: ...

class InterruptSignatureRequest(_message.Message):
    __slots__ = ("key", "expected_revision", "lock_id")
    KEY_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVISION_FIELD_NUMBER: _ClassVar[int]
    LOCK_ID_FIELD_NUMBER: _ClassVar[int]
    key: str
    expected_revision: int
    lock_id: str
    def __init__(self, key: _Optional[str] = ..., expected_revision: _Optional[int] = ..., lock_id: _Optional[str] = ...) -> None: ...

class InterruptSignatureResponse(_message.Message):
    __slots__ = ("signature",)
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    signature: _signature_pb2.Signature
    def __init__(self, signature: _Optional[_Union[_signature_pb2.Signature, _Mapping]] = ...) -> None: ...

class PauseSignatureRequest(_message.Message):
    __slots__ = ("key", "pause_type", "expected_revision", "lock_id")
    KEY_FIELD_NUMBER: _ClassVar[int]
    PAUSE_TYPE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVISION_FIELD_NUMBER: _ClassVar[int]
    LOCK_ID_FIELD_NUMBER: _ClassVar[int]
    key: str
    pause_type: PauseType
    expected_revision: int
    lock_id: str
    def __init__(self, key: _Optional[str] = ..., pause_type: _Optional[_Union[PauseType, str]] = ..., expected_revision: _Optional[int] = ..., lock_id: _Optional[str] = ...) -> None: ...

class PauseSignatureResponse(_message.Message):
    __slots__ = ("signature",)
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    signature: _signature_pb2.Signature
    def __init__(self, signature: _Optional[_Union[_signature_pb2.Signature, _Mapping]] = ...) -> None: ...

class CancelSignatureRequest(_message.Message):
    __slots__ = ("key", "expected_revision", "lock_id")
    KEY_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVISION_FIELD_NUMBER: _ClassVar[int]
    LOCK_ID_FIELD_NUMBER: _ClassVar[int]
    key: str
    expected_revision: int
    lock_id: str
    def __init__(self, key: _Optional[str] = ..., expected_revision: _Optional[int] = ..., lock_id: _Optional[str] = ...) -> None: ...

class CancelSignatureResponse(_message.Message):
    __slots__ = ("signature",)
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    signature: _signature_pb2.Signature
    def __init__(self, signature: _Optional[_Union[_signature_pb2.Signature, _Mapping]] = ...) -> None: ...

class LockSignatureRequest(_message.Message):
    __slots__ = ("key", "ttl", "owner", "lock_id")
    KEY_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    LOCK_ID_FIELD_NUMBER: _ClassVar[int]
    key: str
    ttl: _duration_pb2.Duration
    owner: str
    lock_id: str
    def __init__(self, key: _Optional[str] = ..., ttl: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., owner: _Optional[str] = ..., lock_id: _Optional[str] = ...) -> None: ...

class LockSignatureResponse(_message.Message):
    __slots__ = ("lock_id", "expire_time", "signature")
    LOCK_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    lock_id: str
    expire_time: _timestamp_pb2.Timestamp
    signature: _signature_pb2.Signature
    def __init__(self, lock_id: _Optional[str] = ..., expire_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., signature: _Optional[_Union[_signature_pb2.Signature, _Mapping]] = ...) -> None: ...

class UnlockSignatureRequest(_message.Message):
    __slots__ = ("key", "lock_id")
    KEY_FIELD_NUMBER: _ClassVar[int]
    LOCK_ID_FIELD_NUMBER: _ClassVar[int]
    key: str
    lock_id: str
    def __init__(self, key: _Optional[str] = ..., lock_id: _Optional[str] = ...) -> None: ...

class UnlockSignatureResponse(_message.Message):
    __slots__ = ("signature",)
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    signature: _signature_pb2.Signature
    def __init__(self, signature: _Optional[_Union[_signature_pb2.Signature, _Mapping]] = ...) -> None: ...

class SignatureFilter(_message.Message):
    __slots__ = ("keys", "task_names", "statuses", "container_keys")
    KEYS_FIELD_NUMBER: _ClassVar[int]
    TASK_NAMES_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedScalarFieldContainer[str]
    task_names: _containers.RepeatedScalarFieldContainer[str]
    statuses: _containers.RepeatedScalarFieldContainer[_signature_pb2.Status]
    container_keys: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, keys: _Optional[_Iterable[str]] = ..., task_names: _Optional[_Iterable[str]] = ..., statuses: _Optional[_Iterable[_Union[_signature_pb2.Status, str]]] = ..., container_keys: _Optional[_Iterable[str]] = ...) -> None: ...

class WatchSignaturesRequest(_message.Message):
    __slots__ = ("filter", "start_revision", "send_initial", "progress_interval")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    START_REVISION_FIELD_NUMBER: _ClassVar[int]
    SEND_INITIAL_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    filter: SignatureFilter
    start_revision: int
    send_initial: bool
    progress_interval: _duration_pb2.Duration
    def __init__(self, filter: _Optional[_Union[SignatureFilter, _Mapping]] = ..., start_revision: _Optional[int] = ..., send_initial: bool = ..., progress_interval: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class WatchSignaturesResponse(_message.Message):
    __slots__ = ("events", "revision", "bookmark")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    BOOKMARK_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[_event_pb2.SignatureEvent]
    revision: int
    bookmark: bool
    def __init__(self, events: _Optional[_Iterable[_Union[_event_pb2.SignatureEvent, _Mapping]]] = ..., revision: _Optional[int] = ..., bookmark: bool = ...) -> None: ...
