from google.protobuf import struct_pb2 as _struct_pb2
from mageflow_signatures._gen.mageflow.v1 import container_pb2 as _container_pb2
from mageflow_signatures._gen.mageflow.v1 import signature_pb2 as _signature_pb2
from mageflow_signatures._gen.mageflow.v1 import signature_service_pb2 as _signature_service_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ContainerTask(_message.Message):
    __slots__ = ("key", "signature")
    KEY_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    key: str
    signature: _signature_service_pb2.CreateSignatureRequest
    def __init__(self, key: _Optional[str] = ..., signature: _Optional[_Union[_signature_service_pb2.CreateSignatureRequest, _Mapping]] = ...) -> None: ...

class CreateChainRequest(_message.Message):
    __slots__ = ("tasks", "name", "kwargs", "success_callbacks", "error_callbacks", "return_field_name", "task_status", "request_id")
    TASKS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KWARGS_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_CALLBACKS_FIELD_NUMBER: _ClassVar[int]
    ERROR_CALLBACKS_FIELD_NUMBER: _ClassVar[int]
    RETURN_FIELD_NAME_FIELD_NUMBER: _ClassVar[int]
    TASK_STATUS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[ContainerTask]
    name: str
    kwargs: _struct_pb2.Struct
    success_callbacks: _containers.RepeatedScalarFieldContainer[str]
    error_callbacks: _containers.RepeatedScalarFieldContainer[str]
    return_field_name: str
    task_status: _signature_pb2.Status
    request_id: str
    def __init__(self, tasks: _Optional[_Iterable[_Union[ContainerTask, _Mapping]]] = ..., name: _Optional[str] = ..., kwargs: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., success_callbacks: _Optional[_Iterable[str]] = ..., error_callbacks: _Optional[_Iterable[str]] = ..., return_field_name: _Optional[str] = ..., task_status: _Optional[_Union[_signature_pb2.Status, str]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateChainResponse(_message.Message):
    __slots__ = ("chain",)
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    chain: _container_pb2.Container
    def __init__(self, chain: _Optional[_Union[_container_pb2.Container, _Mapping]] = ...) -> None: ...

class CreateSwarmRequest(_message.Message):
    __slots__ = ("tasks", "name", "kwargs", "config", "success_callbacks", "error_callbacks", "return_field_name", "task_status", "close", "request_id")
    TASKS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KWARGS_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_CALLBACKS_FIELD_NUMBER: _ClassVar[int]
    ERROR_CALLBACKS_FIELD_NUMBER: _ClassVar[int]
    RETURN_FIELD_NAME_FIELD_NUMBER: _ClassVar[int]
    TASK_STATUS_FIELD_NUMBER: _ClassVar[int]
    CLOSE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    tasks: _containers.RepeatedCompositeFieldContainer[ContainerTask]
    name: str
    kwargs: _struct_pb2.Struct
    config: _container_pb2.SwarmConfig
    success_callbacks: _containers.RepeatedScalarFieldContainer[str]
    error_callbacks: _containers.RepeatedScalarFieldContainer[str]
    return_field_name: str
    task_status: _signature_pb2.Status
    close: bool
    request_id: str
    def __init__(self, tasks: _Optional[_Iterable[_Union[ContainerTask, _Mapping]]] = ..., name: _Optional[str] = ..., kwargs: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., config: _Optional[_Union[_container_pb2.SwarmConfig, _Mapping]] = ..., success_callbacks: _Optional[_Iterable[str]] = ..., error_callbacks: _Optional[_Iterable[str]] = ..., return_field_name: _Optional[str] = ..., task_status: _Optional[_Union[_signature_pb2.Status, str]] = ..., close: bool = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateSwarmResponse(_message.Message):
    __slots__ = ("swarm",)
    SWARM_FIELD_NUMBER: _ClassVar[int]
    swarm: _container_pb2.Container
    def __init__(self, swarm: _Optional[_Union[_container_pb2.Container, _Mapping]] = ...) -> None: ...

class AddSwarmTasksRequest(_message.Message):
    __slots__ = ("key", "tasks", "close", "expected_revision", "lock_id")
    KEY_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    CLOSE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVISION_FIELD_NUMBER: _ClassVar[int]
    LOCK_ID_FIELD_NUMBER: _ClassVar[int]
    key: str
    tasks: _containers.RepeatedCompositeFieldContainer[ContainerTask]
    close: bool
    expected_revision: int
    lock_id: str
    def __init__(self, key: _Optional[str] = ..., tasks: _Optional[_Iterable[_Union[ContainerTask, _Mapping]]] = ..., close: bool = ..., expected_revision: _Optional[int] = ..., lock_id: _Optional[str] = ...) -> None: ...

class AddSwarmTasksResponse(_message.Message):
    __slots__ = ("swarm", "added_keys")
    SWARM_FIELD_NUMBER: _ClassVar[int]
    ADDED_KEYS_FIELD_NUMBER: _ClassVar[int]
    swarm: _container_pb2.Container
    added_keys: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, swarm: _Optional[_Union[_container_pb2.Container, _Mapping]] = ..., added_keys: _Optional[_Iterable[str]] = ...) -> None: ...

class CloseSwarmRequest(_message.Message):
    __slots__ = ("key", "expected_revision", "lock_id")
    KEY_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_REVISION_FIELD_NUMBER: _ClassVar[int]
    LOCK_ID_FIELD_NUMBER: _ClassVar[int]
    key: str
    expected_revision: int
    lock_id: str
    def __init__(self, key: _Optional[str] = ..., expected_revision: _Optional[int] = ..., lock_id: _Optional[str] = ...) -> None: ...

class CloseSwarmResponse(_message.Message):
    __slots__ = ("swarm",)
    SWARM_FIELD_NUMBER: _ClassVar[int]
    swarm: _container_pb2.Container
    def __init__(self, swarm: _Optional[_Union[_container_pb2.Container, _Mapping]] = ...) -> None: ...

class GetContainerRequest(_message.Message):
    __slots__ = ("key",)
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: str
    def __init__(self, key: _Optional[str] = ...) -> None: ...

class GetContainerResponse(_message.Message):
    __slots__ = ("container",)
    CONTAINER_FIELD_NUMBER: _ClassVar[int]
    container: _container_pb2.Container
    def __init__(self, container: _Optional[_Union[_container_pb2.Container, _Mapping]] = ...) -> None: ...

class ListContainerChildrenRequest(_message.Message):
    __slots__ = ("key", "page_size", "page_token")
    KEY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    key: str
    page_size: int
    page_token: str
    def __init__(self, key: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListContainerChildrenResponse(_message.Message):
    __slots__ = ("children", "next_page_token")
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    children: _containers.RepeatedCompositeFieldContainer[_signature_pb2.Signature]
    next_page_token: str
    def __init__(self, children: _Optional[_Iterable[_Union[_signature_pb2.Signature, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
