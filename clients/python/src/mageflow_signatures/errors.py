"""Exceptions of the MageFlow Signature Service client.

Every failed call raises a :class:`MageflowError` (or a subclass), decoded from the gRPC status and its
``grpc-status-details-bin`` trailer: a ``google.rpc.Status`` whose details carry a ``google.rpc.ErrorInfo``
(``reason`` in UPPER_SNAKE, domain ``mageflow.dev``, ``metadata``) and, where useful, a
``google.rpc.BadRequest`` (field violations) or a ``google.rpc.PreconditionFailure``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Type

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

__all__ = [
    "FieldViolation",
    "PreconditionViolation",
    "MageflowError",
    "Cancelled",
    "Unknown",
    "InvalidArgument",
    "DeadlineExceeded",
    "NotFound",
    "AlreadyExists",
    "PermissionDenied",
    "ResourceExhausted",
    "FailedPrecondition",
    "InvalidTransition",
    "RevisionCompacted",
    "Aborted",
    "SignatureLocked",
    "RevisionMismatch",
    "Unimplemented",
    "Internal",
    "Unavailable",
    "Unauthenticated",
    "from_rpc_error",
    "STATUS_DETAILS_KEY",
    "ERROR_DOMAIN",
]

STATUS_DETAILS_KEY = "grpc-status-details-bin"
ERROR_DOMAIN = "mageflow.dev"


@dataclass(frozen=True)
class FieldViolation:
    """One bad request field (``google.rpc.BadRequest.FieldViolation``)."""

    field: str
    description: str
    reason: str = ""


@dataclass(frozen=True)
class PreconditionViolation:
    """One failed precondition (``google.rpc.PreconditionFailure.Violation``)."""

    type: str
    subject: str
    description: str


class MageflowError(Exception):
    """A call to the service failed.

    Attributes:
        code: the gRPC status code.
        message: the status message.
        reason: the ``ErrorInfo.reason`` (e.g. ``SIGNATURE_LOCKED``), or ``None`` if the server sent none.
        domain: the ``ErrorInfo.domain`` (``mageflow.dev`` for the service's own errors).
        metadata: the ``ErrorInfo.metadata`` (e.g. ``{"expire_time": ...}``).
        field_violations: from a ``BadRequest`` detail.
        precondition_violations: from a ``PreconditionFailure`` detail.
        details: every detail of the ``google.rpc.Status``, as ``Any`` messages.
    """

    default_code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(
        self,
        message: str,
        *,
        code: Optional[grpc.StatusCode] = None,
        reason: Optional[str] = None,
        domain: str = "",
        metadata: Optional[Mapping[str, str]] = None,
        field_violations: Sequence[FieldViolation] = (),
        precondition_violations: Sequence[PreconditionViolation] = (),
        details: Sequence[any_pb2.Any] = (),
    ) -> None:
        super().__init__(message)
        self.code: grpc.StatusCode = code if code is not None else self.default_code
        self.message: str = message
        self.reason: Optional[str] = reason
        self.domain: str = domain
        self.metadata: Dict[str, str] = dict(metadata or {})
        self.field_violations: List[FieldViolation] = list(field_violations)
        self.precondition_violations: List[PreconditionViolation] = list(precondition_violations)
        self.details: List[any_pb2.Any] = list(details)

    def __str__(self) -> str:
        text = f"{self.code.name}"
        if self.reason:
            text += f" {self.reason}"
        text += f": {self.message}"
        if self.field_violations:
            text += " [" + "; ".join(f"{v.field}: {v.description}" for v in self.field_violations) + "]"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code.name}, reason={self.reason!r}, message={self.message!r}, metadata={self.metadata!r})"

    @property
    def retry_delay(self) -> Optional[float]:
        """Seconds from a ``google.rpc.RetryInfo`` detail (the server's hint when to retry), else ``None``."""
        for detail in self.details:
            if detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                info = error_details_pb2.RetryInfo()
                detail.Unpack(info)
                return float(info.retry_delay.seconds) + float(info.retry_delay.nanos) / 1e9
        return None

    @property
    def retryable(self) -> bool:
        """True for codes a caller may retry after a pause (ABORTED, UNAVAILABLE, RESOURCE_EXHAUSTED)."""
        return self.code in (
            grpc.StatusCode.ABORTED,
            grpc.StatusCode.UNAVAILABLE,
            grpc.StatusCode.RESOURCE_EXHAUSTED,
        )


class Cancelled(MageflowError):
    default_code = grpc.StatusCode.CANCELLED


class Unknown(MageflowError):
    default_code = grpc.StatusCode.UNKNOWN


class InvalidArgument(MageflowError):
    """INVALID_ARGUMENT: see :attr:`field_violations`."""

    default_code = grpc.StatusCode.INVALID_ARGUMENT


class DeadlineExceeded(MageflowError):
    default_code = grpc.StatusCode.DEADLINE_EXCEEDED


class NotFound(MageflowError):
    """NOT_FOUND, e.g. reason SIGNATURE_NOT_FOUND or CALLBACKS_NOT_FOUND."""

    default_code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(MageflowError):
    default_code = grpc.StatusCode.ALREADY_EXISTS


class PermissionDenied(MageflowError):
    default_code = grpc.StatusCode.PERMISSION_DENIED


class ResourceExhausted(MageflowError):
    default_code = grpc.StatusCode.RESOURCE_EXHAUSTED


class FailedPrecondition(MageflowError):
    """FAILED_PRECONDITION: the signature's state does not allow the operation."""

    default_code = grpc.StatusCode.FAILED_PRECONDITION


class InvalidTransition(FailedPrecondition):
    """FAILED_PRECONDITION reason INVALID_TRANSITION; ``metadata["current_status"]`` tells the status."""

    @property
    def current_status(self) -> Optional[str]:
        return self.metadata.get("current_status")


class RevisionCompacted(FailedPrecondition):
    """A watch asked for a revision older than the retained history (reason REVISION_COMPACTED)."""

    @property
    def oldest_revision(self) -> Optional[int]:
        value = self.metadata.get("oldest_revision")
        return int(value) if value not in (None, "") else None


class Aborted(MageflowError):
    """ABORTED: a lock or revision conflict; retryable."""

    default_code = grpc.StatusCode.ABORTED


class SignatureLocked(Aborted):
    """ABORTED reason SIGNATURE_LOCKED: another holder has the lease until :attr:`expire_time`."""

    @property
    def expire_time(self) -> Optional[datetime]:
        value = self.metadata.get("expire_time")
        if not value:
            return None
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None


class RevisionMismatch(Aborted):
    """ABORTED reason REVISION_MISMATCH: ``expected_revision`` was not the signature's revision."""


class Unimplemented(MageflowError):
    default_code = grpc.StatusCode.UNIMPLEMENTED


class Internal(MageflowError):
    default_code = grpc.StatusCode.INTERNAL


class Unavailable(MageflowError):
    """UNAVAILABLE: the server, its store or the task engine cannot be reached; retryable."""

    default_code = grpc.StatusCode.UNAVAILABLE


class Unauthenticated(MageflowError):
    default_code = grpc.StatusCode.UNAUTHENTICATED


_BY_CODE: Dict[grpc.StatusCode, Type[MageflowError]] = {
    grpc.StatusCode.CANCELLED: Cancelled,
    grpc.StatusCode.UNKNOWN: Unknown,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.ABORTED: Aborted,
    grpc.StatusCode.UNIMPLEMENTED: Unimplemented,
    grpc.StatusCode.INTERNAL: Internal,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
}

_BY_REASON: Dict[Tuple[grpc.StatusCode, str], Type[MageflowError]] = {
    (grpc.StatusCode.ABORTED, "SIGNATURE_LOCKED"): SignatureLocked,
    (grpc.StatusCode.ABORTED, "REVISION_MISMATCH"): RevisionMismatch,
    (grpc.StatusCode.FAILED_PRECONDITION, "REVISION_COMPACTED"): RevisionCompacted,
    (grpc.StatusCode.FAILED_PRECONDITION, "INVALID_TRANSITION"): InvalidTransition,
}


def _status_details(trailers: Optional[Sequence[Tuple[str, object]]]) -> Optional[status_pb2.Status]:
    for key, value in trailers or ():
        if key == STATUS_DETAILS_KEY and isinstance(value, (bytes, bytearray)):
            status = status_pb2.Status()
            try:
                status.ParseFromString(bytes(value))
            except Exception:  # a malformed trailer must not hide the error itself
                return None
            return status
    return None


def from_status(code: grpc.StatusCode, message: str, status: Optional[status_pb2.Status]) -> MageflowError:
    """Builds the exception for a gRPC status and its decoded ``google.rpc.Status`` (if any)."""
    reason: Optional[str] = None
    domain = ""
    metadata: Dict[str, str] = {}
    fields: List[FieldViolation] = []
    preconditions: List[PreconditionViolation] = []
    details: List[any_pb2.Any] = []
    if status is not None:
        if status.message:
            message = status.message
        details = list(status.details)
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                if reason is None:
                    reason, domain, metadata = info.reason, info.domain, dict(info.metadata)
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                fields.extend(FieldViolation(v.field, v.description, v.reason) for v in bad.field_violations)
            elif detail.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
                failure = error_details_pb2.PreconditionFailure()
                detail.Unpack(failure)
                preconditions.extend(
                    PreconditionViolation(v.type, v.subject, v.description) for v in failure.violations
                )
    cls = _BY_REASON.get((code, reason or "")) or _BY_CODE.get(code, MageflowError)
    return cls(
        message,
        code=code,
        reason=reason,
        domain=domain,
        metadata=metadata,
        field_violations=fields,
        precondition_violations=preconditions,
        details=details,
    )


def from_rpc_error(error: grpc.RpcError) -> MageflowError:
    """Decodes a ``grpc.RpcError`` (``grpc.aio.AioRpcError`` included) into a :class:`MageflowError`."""
    code_fn = getattr(error, "code", None)
    code = code_fn() if callable(code_fn) else grpc.StatusCode.UNKNOWN
    details_fn = getattr(error, "details", None)
    message = (details_fn() if callable(details_fn) else None) or str(error)
    trailers_fn = getattr(error, "trailing_metadata", None)
    trailers = trailers_fn() if callable(trailers_fn) else None
    return from_status(code, message, _status_details(trailers))
