package mageflow_test

import (
	"errors"
	"fmt"
	"testing"

	mageflow "mageflow.dev/signatures/clients/go"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestErrorFromStatusDetails(t *testing.T) {
	st, err := status.New(codes.Aborted, "locked by billing").WithDetails(
		&errdetails.ErrorInfo{Reason: "SIGNATURE_LOCKED", Domain: "mageflow.dev", Metadata: map[string]string{"expire_time": "2030-01-01T00:00:00Z"}},
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "ttl", Description: "too long"}}},
		&errdetails.PreconditionFailure{Violations: []*errdetails.PreconditionFailure_Violation{{Type: "LOCK", Subject: "TaskSignature:1", Description: "held"}}},
	)
	if err != nil {
		t.Fatal(err)
	}
	e := mageflow.FromStatus(st)
	wrapped := fmt.Errorf("suspending: %w", e)

	var got *mageflow.Error
	if !errors.As(wrapped, &got) {
		t.Fatal("errors.As did not find *mageflow.Error")
	}
	if got.Code != codes.Aborted || got.Reason != "SIGNATURE_LOCKED" || got.Domain != "mageflow.dev" {
		t.Fatalf("got %+v", got)
	}
	if got.Metadata["expire_time"] != "2030-01-01T00:00:00Z" {
		t.Fatalf("metadata %v", got.Metadata)
	}
	if len(got.FieldViolations) != 1 || got.FieldViolations[0].Field != "ttl" {
		t.Fatalf("field violations %v", got.FieldViolations)
	}
	if len(got.PreconditionViolations) != 1 || got.PreconditionViolations[0].Subject != "TaskSignature:1" {
		t.Fatalf("precondition violations %v", got.PreconditionViolations)
	}
	if !errors.Is(wrapped, mageflow.ErrSignatureLocked) || errors.Is(wrapped, mageflow.ErrRevisionMismatch) {
		t.Fatal("errors.Is against the sentinels is wrong")
	}
	if mageflow.ReasonOf(wrapped) != "SIGNATURE_LOCKED" || mageflow.CodeOf(wrapped) != codes.Aborted || !got.Retryable() {
		t.Fatal("ReasonOf/CodeOf/Retryable")
	}
	if status.Code(e) != codes.Aborted {
		t.Fatal("GRPCStatus not honoured by status.Code")
	}
}

func TestErrorWithoutDetails(t *testing.T) {
	e := mageflow.FromStatus(status.New(codes.NotFound, "nope"))
	if e.Reason != "" || !errors.Is(e, mageflow.ErrNotFound) || errors.Is(e, mageflow.ErrSignatureNotFound) {
		t.Fatalf("got %+v", e)
	}
}
