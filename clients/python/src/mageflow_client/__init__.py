"""Async Python client of the MageFlow Signature Service.

MageFlow's vocabulary over gRPC (``grpc.aio``)::

    from mageflow_client import Client

    async with Client("127.0.0.1:50051") as client:
        callback = await client.asign("notify")
        sig = await client.asign("send-email", {"to": "a@example.com"}, success_callbacks=[callback])
        run = await client.run_no_wait(sig.key, {"subject": "hi"})

The generated messages and stubs are importable as ``mageflow.v1`` (shipped in this package).
"""

from .client import Client, Lock, Watch
from .errors import (
    Aborted,
    AlreadyExists,
    Cancelled,
    DeadlineExceeded,
    FailedPrecondition,
    FieldViolation,
    Internal,
    InvalidArgument,
    InvalidTransition,
    MageflowError,
    NotFound,
    PermissionDenied,
    PreconditionViolation,
    ResourceExhausted,
    RevisionCompacted,
    RevisionMismatch,
    SignatureLocked,
    Unauthenticated,
    Unavailable,
    Unimplemented,
    Unknown,
    from_rpc_error,
)
from .types import (
    DispatchState,
    EventType,
    ListPage,
    RemoveResult,
    RunResult,
    Signature,
    SignatureEvent,
    SignatureLock,
    SignatureRun,
    StartResult,
    Status,
    TaskError,
    TaskReport,
)

__version__ = "0.1.0"

__all__ = [
    "Client",
    "Lock",
    "Watch",
    "MageflowError",
    "Aborted",
    "AlreadyExists",
    "Cancelled",
    "DeadlineExceeded",
    "FailedPrecondition",
    "FieldViolation",
    "Internal",
    "InvalidArgument",
    "InvalidTransition",
    "NotFound",
    "PermissionDenied",
    "PreconditionViolation",
    "ResourceExhausted",
    "RevisionCompacted",
    "RevisionMismatch",
    "SignatureLocked",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
    "Unknown",
    "from_rpc_error",
    "DispatchState",
    "EventType",
    "ListPage",
    "RemoveResult",
    "RunResult",
    "Signature",
    "SignatureEvent",
    "SignatureLock",
    "SignatureRun",
    "StartResult",
    "Status",
    "TaskError",
    "TaskReport",
]
