"""Decoding of the service's error model (google.rpc.Status in grpc-status-details-bin)."""

from datetime import datetime, timezone

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from mageflow_signatures import (
    Aborted,
    FailedPrecondition,
    InvalidArgument,
    InvalidTransition,
    MageflowError,
    NotFound,
    RevisionCompacted,
    SignatureLocked,
    Unavailable,
)
from mageflow_signatures.errors import STATUS_DETAILS_KEY, from_rpc_error, from_status


def _any(msg) -> any_pb2.Any:
    a = any_pb2.Any()
    a.Pack(msg)
    return a


def _status(code, message, reason, metadata=None, *extra) -> status_pb2.Status:
    info = error_details_pb2.ErrorInfo(reason=reason, domain="mageflow.dev", metadata=metadata or {})
    return status_pb2.Status(code=code, message=message, details=[_any(info), *[_any(e) for e in extra]])


class FakeRpcError(grpc.RpcError):
    def __init__(self, code, details, trailers):
        self._code, self._details, self._trailers = code, details, trailers

    def code(self):
        return self._code

    def details(self):
        return self._details

    def trailing_metadata(self):
        return self._trailers


def test_signature_locked_carries_reason_metadata_and_expire_time():
    st = _status(code_pb2.ABORTED, "locked by billing", "SIGNATURE_LOCKED", {"expire_time": "2030-01-02T03:04:05Z"})
    err = from_rpc_error(
        FakeRpcError(grpc.StatusCode.ABORTED, "locked", ((STATUS_DETAILS_KEY, st.SerializeToString()),))
    )
    assert isinstance(err, SignatureLocked) and isinstance(err, Aborted) and isinstance(err, MageflowError)
    assert err.code is grpc.StatusCode.ABORTED
    assert err.reason == "SIGNATURE_LOCKED"
    assert err.domain == "mageflow.dev"
    assert err.metadata == {"expire_time": "2030-01-02T03:04:05Z"}
    assert err.expire_time == datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert err.retryable
    assert "SIGNATURE_LOCKED" in str(err)


def test_bad_request_field_violations():
    bad = error_details_pb2.BadRequest(
        field_violations=[error_details_pb2.BadRequest.FieldViolation(field="task_name", description="required")]
    )
    st = _status(code_pb2.INVALID_ARGUMENT, "bad request", "INVALID_ARGUMENT", None, bad)
    err = from_status(grpc.StatusCode.INVALID_ARGUMENT, "x", st)
    assert isinstance(err, InvalidArgument)
    assert [(v.field, v.description) for v in err.field_violations] == [("task_name", "required")]
    assert err.message == "bad request"
    assert "task_name: required" in str(err)


def test_precondition_failure_and_reason_subclasses():
    pf = error_details_pb2.PreconditionFailure(
        violations=[error_details_pb2.PreconditionFailure.Violation(type="STATUS", subject="TaskSignature:1", description="DONE")]
    )
    st = _status(code_pb2.FAILED_PRECONDITION, "terminal", "INVALID_TRANSITION", {"current_status": "STATUS_DONE"}, pf)
    err = from_status(grpc.StatusCode.FAILED_PRECONDITION, "x", st)
    assert isinstance(err, InvalidTransition) and isinstance(err, FailedPrecondition)
    assert err.current_status == "STATUS_DONE"
    assert err.precondition_violations[0].subject == "TaskSignature:1"

    st = _status(code_pb2.FAILED_PRECONDITION, "compacted", "REVISION_COMPACTED", {"oldest_revision": "42"})
    err = from_status(grpc.StatusCode.FAILED_PRECONDITION, "x", st)
    assert isinstance(err, RevisionCompacted) and err.oldest_revision == 42

    st = _status(code_pb2.NOT_FOUND, "no such signature", "SIGNATURE_NOT_FOUND")
    err = from_status(grpc.StatusCode.NOT_FOUND, "x", st)
    assert isinstance(err, NotFound) and err.reason == "SIGNATURE_NOT_FOUND"


def test_errors_without_details_still_map_by_code():
    err = from_rpc_error(FakeRpcError(grpc.StatusCode.UNAVAILABLE, "connection refused", ()))
    assert isinstance(err, Unavailable)
    assert err.reason is None and err.metadata == {} and err.message == "connection refused"
    err = from_rpc_error(FakeRpcError(grpc.StatusCode.ABORTED, "x", ((STATUS_DETAILS_KEY, b"\xff\xff garbage"),)))
    assert type(err) is Aborted
