package mageflow

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrorDomain is the ErrorInfo domain of the service's own errors.
const ErrorDomain = "mageflow.dev"

// Reasons (ErrorInfo.reason) the service sends. See docs/api.md for the catalogue.
const (
	ReasonSignatureNotFound  = "SIGNATURE_NOT_FOUND"
	ReasonInvalidArgument    = "INVALID_ARGUMENT"
	ReasonInvalidTransition  = "INVALID_TRANSITION"
	ReasonTaskAlreadyRunning = "TASK_ALREADY_RUNNING"
	ReasonAlreadyDispatched  = "ALREADY_DISPATCHED"
	ReasonSignatureLocked    = "SIGNATURE_LOCKED"
	ReasonLockMismatch       = "LOCK_MISMATCH"
	ReasonRevisionMismatch   = "REVISION_MISMATCH"
	ReasonRevisionCompacted  = "REVISION_COMPACTED"
	ReasonCallbacksNotFound  = "CALLBACKS_NOT_FOUND"
	ReasonSignatureRemoved   = "SIGNATURE_REMOVED"
	ReasonStaleRun           = "STALE_RUN"
)

// FieldViolation is one bad request field (google.rpc.BadRequest.FieldViolation).
type FieldViolation struct {
	Field       string
	Description string
	Reason      string
}

// PreconditionViolation is one failed precondition (google.rpc.PreconditionFailure.Violation).
type PreconditionViolation struct {
	Type        string
	Subject     string
	Description string
}

// Error is every error a call returns (except errors of the caller's own context before the call).
// It is decoded from the gRPC status and its google.rpc.Status details (grpc-status-details-bin):
// ErrorInfo gives Reason, Domain and Metadata; BadRequest gives FieldViolations; PreconditionFailure
// gives PreconditionViolations. Inspect it with errors.As, or errors.Is against a sentinel:
//
//	var e *mageflow.Error
//	if errors.As(err, &e) && e.Reason == mageflow.ReasonSignatureLocked { ... e.Metadata["expire_time"] ... }
//	if errors.Is(err, mageflow.ErrSignatureLocked) { ... }
type Error struct {
	Code                   codes.Code
	Message                string
	Reason                 string
	Domain                 string
	Metadata               map[string]string
	FieldViolations        []FieldViolation
	PreconditionViolations []PreconditionViolation
	status                 *status.Status
}

// Sentinels for errors.Is: they match any *Error with the same reason (and code, where set).
var (
	ErrNotFound          = &Error{Code: codes.NotFound}
	ErrSignatureNotFound = &Error{Code: codes.NotFound, Reason: ReasonSignatureNotFound}
	ErrSignatureLocked   = &Error{Code: codes.Aborted, Reason: ReasonSignatureLocked}
	ErrRevisionMismatch  = &Error{Code: codes.Aborted, Reason: ReasonRevisionMismatch}
	ErrRevisionCompacted = &Error{Code: codes.FailedPrecondition, Reason: ReasonRevisionCompacted}
	ErrInvalidTransition = &Error{Code: codes.FailedPrecondition, Reason: ReasonInvalidTransition}
	ErrAlreadyDispatched = &Error{Code: codes.FailedPrecondition, Reason: ReasonAlreadyDispatched}
	ErrLockMismatch      = &Error{Code: codes.FailedPrecondition, Reason: ReasonLockMismatch}
	ErrStaleRun          = &Error{Code: codes.FailedPrecondition, Reason: ReasonStaleRun}
)

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("mageflow: ")
	b.WriteString(e.Code.String())
	if e.Reason != "" {
		b.WriteString(" ")
		b.WriteString(e.Reason)
	}
	b.WriteString(": ")
	b.WriteString(e.Message)
	for i, v := range e.FieldViolations {
		if i == 0 {
			b.WriteString(" [")
		} else {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %s", v.Field, v.Description)
		if i == len(e.FieldViolations)-1 {
			b.WriteString("]")
		}
	}
	return b.String()
}

// Is matches a sentinel: same Code (unless the sentinel's is OK) and same Reason (unless empty).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	if t.Code != codes.OK && t.Code != e.Code {
		return false
	}
	return t.Reason == "" || t.Reason == e.Reason
}

// GRPCStatus lets status.FromError and status.Code see the original status.
func (e *Error) GRPCStatus() *status.Status {
	if e.status != nil {
		return e.status
	}
	return status.New(e.Code, e.Message)
}

// Retryable reports codes worth retrying after a pause (ABORTED, UNAVAILABLE, RESOURCE_EXHAUSTED).
func (e *Error) Retryable() bool {
	return e.Code == codes.Aborted || e.Code == codes.Unavailable || e.Code == codes.ResourceExhausted
}

// ReasonOf returns the ErrorInfo reason of err, or "" if err is not an *Error with one.
func ReasonOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// CodeOf returns the gRPC code of err (codes.OK for nil, codes.Unknown for foreign errors).
func CodeOf(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return status.Code(err)
}

// FromStatus decodes a gRPC status (with its details) into an *Error.
func FromStatus(st *status.Status) *Error {
	e := &Error{Code: st.Code(), Message: st.Message(), Metadata: map[string]string{}, status: st}
	haveInfo := false
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			if !haveInfo {
				haveInfo = true
				e.Reason, e.Domain = d.GetReason(), d.GetDomain()
				for k, v := range d.GetMetadata() {
					e.Metadata[k] = v
				}
			}
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				e.FieldViolations = append(e.FieldViolations, FieldViolation{v.GetField(), v.GetDescription(), v.GetReason()})
			}
		case *errdetails.PreconditionFailure:
			for _, v := range d.GetViolations() {
				e.PreconditionViolations = append(e.PreconditionViolations, PreconditionViolation{v.GetType(), v.GetSubject(), v.GetDescription()})
			}
		}
	}
	return e
}

// wrap turns an error from a gRPC call into an *Error; nil stays nil.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	return FromStatus(st)
}
