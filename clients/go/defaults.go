package mageflow

// The defaults every client shares (docs/clients/defaults.md): the address and token from the
// environment, the unary deadline, and opt-in retries of idempotent calls with a jittered backoff.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	mageflowv1 "mageflow.dev/signatures/clients/go/gen/mageflow/v1"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// DefaultAddress is where Dial connects when given no address and MAGEFLOW_SERVER is unset.
const DefaultAddress = "127.0.0.1:50051"

// DefaultTimeout is the deadline of a unary call, covering all its attempts (watches have none).
const DefaultTimeout = 30 * time.Second

// RetryPolicy retries idempotent unary calls (GetSignature, BatchGetSignatures, ListSignatures, and
// CreateSignature / RunSignature carrying a request id) on UNAVAILABLE, and on RESOURCE_EXHAUSTED when
// the status carries a google.rpc.RetryInfo. MaxAttempts counts the first attempt. Delays start at
// InitialDelay, double, are capped at MaxDelay and jittered (each drawn from [d/2, d]); a longer
// RetryInfo delay is waited instead. The call's deadline covers every attempt.
type RetryPolicy struct {
	MaxAttempts  int
	InitialDelay time.Duration
	MaxDelay     time.Duration
}

// DefaultRetryPolicy is the policy of WithRetries: 4 attempts, 100 ms doubling up to 5 s.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 4, InitialDelay: 100 * time.Millisecond, MaxDelay: 5 * time.Second}

// backoff is the delay before retry number failures (1-based): doubling from initial, capped, in [d/2, d].
func backoff(failures int, initial, capDelay time.Duration) time.Duration {
	d := min(initial<<min(failures-1, 30), capDelay)
	if d <= 0 {
		d = capDelay
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// resolveAddress returns the gRPC target and whether an https:// URL asked for TLS.
func resolveAddress(addr string) (target string, tlsFromURL bool, err error) {
	if addr == "" {
		addr = os.Getenv("MAGEFLOW_SERVER")
	}
	if addr == "" {
		return DefaultAddress, false, nil
	}
	if !strings.Contains(addr, "://") {
		return addr, false, nil
	}
	u, err := url.Parse(addr)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return "", false, fmt.Errorf("mageflow: server address %q: expected host:port or an http(s):// URL", addr)
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return net.JoinHostPort(u.Hostname(), port), u.Scheme == "https", nil
}

func idempotent(req any) bool {
	switch r := req.(type) {
	case *mageflowv1.GetSignatureRequest, *mageflowv1.BatchGetSignaturesRequest, *mageflowv1.ListSignaturesRequest:
		return true
	case *mageflowv1.CreateSignatureRequest:
		return r.GetRequestId() != ""
	case *mageflowv1.RunSignatureRequest:
		return r.GetRequestId() != ""
	}
	return false
}

// retryDelay is the RetryInfo delay of err, and whether there is one.
func retryDelay(err error) (time.Duration, bool) {
	st, ok := status.FromError(err)
	if !ok {
		return 0, false
	}
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			return ri.GetRetryDelay().AsDuration(), true
		}
	}
	return 0, false
}

// worthRetrying: UNAVAILABLE, or RESOURCE_EXHAUSTED carrying a RetryInfo; it returns the hinted delay.
func worthRetrying(err error) (bool, time.Duration) {
	hint, hinted := retryDelay(err)
	switch status.Code(err) {
	case codes.Unavailable:
		return true, hint
	case codes.ResourceExhausted:
		return hinted, hint
	}
	return false, 0
}

// sleep waits d unless ctx ends first or its deadline falls within d (then it returns false at once).
func sleep(ctx context.Context, d time.Duration) bool {
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= d {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
