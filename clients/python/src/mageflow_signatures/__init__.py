"""Async Python client of the MageFlow Signature Service.

MageFlow's vocabulary over gRPC (``grpc.aio``)::

    from mageflow_signatures import Client

    async with Client("127.0.0.1:50051") as client:
        callback = await client.asign("notify")
        sig = await client.asign("send-email", {"to": "a@example.com"}, success_callbacks=[callback])
        run = await client.run_no_wait(sig.key, {"subject": "hi"})

The generated messages and stubs are shipped inside this package as ``mageflow_signatures._gen.mageflow.v1``.
"""

from .client import Client, Lock, RetryPolicy, Watch
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
    InlineTask,
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

from ._version import __version__

__all__ = [
    "__version__",
    "Client",
    "InlineTask",
    "Lock",
    "Watch",
    "RetryPolicy",
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
