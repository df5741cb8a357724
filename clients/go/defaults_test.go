package mageflow_test

// The defaults every client shares (docs/clients/defaults.md), against an in-process server: opt-in
// retries of idempotent calls only, RetryInfo, interceptors seeing every attempt, the address and token
// from the environment, final failure reports, unlimited watch reconnects, Client.Close ending watches.

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	mageflow "mageflow.dev/signatures/clients/go"
	mageflowv1 "mageflow.dev/signatures/clients/go/gen/mageflow/v1"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

type flaky struct {
	mageflowv1.UnimplementedSignatureServiceServer
	mageflowv1.UnimplementedWorkerServiceServer
	mu        sync.Mutex
	calls     map[string]int
	failures  map[string]int
	code      codes.Code
	hint      time.Duration
	tokens    []string
	finals    []bool
	watchPlan []string
}

func (f *flaky) maybeFail(ctx context.Context, method string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[method]++
	md, _ := metadata.FromIncomingContext(ctx)
	f.tokens = append(f.tokens, append(md.Get("authorization"), "")[0])
	if f.calls[method] > f.failures[method] {
		return nil
	}
	st, _ := status.New(f.code, "flaky").WithDetails(&errdetails.ErrorInfo{Reason: "FLAKY", Domain: "mageflow.dev"})
	if f.hint > 0 {
		st, _ = st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(f.hint)})
	}
	return st.Err()
}

func (f *flaky) count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

func (f *flaky) GetSignature(ctx context.Context, req *mageflowv1.GetSignatureRequest) (*mageflowv1.GetSignatureResponse, error) {
	if err := f.maybeFail(ctx, "Get"); err != nil {
		return nil, err
	}
	return &mageflowv1.GetSignatureResponse{Signature: sig(req.GetKey(), mageflow.StatusPending, 1)}, nil
}

func (f *flaky) CreateSignature(ctx context.Context, req *mageflowv1.CreateSignatureRequest) (*mageflowv1.CreateSignatureResponse, error) {
	if err := f.maybeFail(ctx, "Create"); err != nil {
		return nil, err
	}
	return &mageflowv1.CreateSignatureResponse{Signature: sig("TaskSignature:new", mageflow.StatusPending, 1)}, nil
}

func (f *flaky) SuspendSignature(ctx context.Context, req *mageflowv1.SuspendSignatureRequest) (*mageflowv1.SuspendSignatureResponse, error) {
	if err := f.maybeFail(ctx, "Suspend"); err != nil {
		return nil, err
	}
	return &mageflowv1.SuspendSignatureResponse{Signature: sig(req.GetKey(), mageflow.StatusSuspended, 2)}, nil
}

func (f *flaky) FailTask(_ context.Context, req *mageflowv1.FailTaskRequest) (*mageflowv1.FailTaskResponse, error) {
	f.mu.Lock()
	f.finals = append(f.finals, req.GetFinal())
	f.mu.Unlock()
	return &mageflowv1.FailTaskResponse{Signature: sig(req.GetKey(), mageflow.StatusFailed, 3)}, nil
}

func (f *flaky) WatchSignatures(_ *mageflowv1.WatchSignaturesRequest, stream grpc.ServerStreamingServer[mageflowv1.WatchSignaturesResponse]) error {
	f.mu.Lock()
	f.calls["Watch"]++
	step := "events"
	if len(f.watchPlan) > 0 {
		step, f.watchPlan = f.watchPlan[0], f.watchPlan[1:]
	}
	f.mu.Unlock()
	switch step {
	case "unavailable":
		return svcErr(codes.Unavailable, "restarting", "SERVER_RESTARTING", nil)
	case "too-slow":
		return svcErr(codes.ResourceExhausted, "too slow", "WATCH_TOO_SLOW", nil)
	case "quota":
		return svcErr(codes.ResourceExhausted, "quota", "QUOTA_EXCEEDED", nil)
	}
	if err := stream.Send(&mageflowv1.WatchSignaturesResponse{Events: []*mageflowv1.SignatureEvent{ev(3, "k", mageflow.StatusPending)}, Revision: 3}); err != nil {
		return err
	}
	<-stream.Context().Done()
	return nil
}

func startFlaky(t *testing.T) (string, *flaky) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	f := &flaky{calls: map[string]int{}, failures: map[string]int{}, code: codes.Unavailable}
	mageflowv1.RegisterSignatureServiceServer(srv, f)
	mageflowv1.RegisterWorkerServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String(), f
}

var fast = mageflow.RetryPolicy{MaxAttempts: 4, InitialDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond}

func TestRetriesOffByDefault(t *testing.T) {
	addr, f := startFlaky(t)
	f.failures["Get"] = 1
	_, err := dial(t, addr).LoadSignature(context.Background(), "TaskSignature:a")
	if mageflow.CodeOf(err) != codes.Unavailable || f.count("Get") != 1 {
		t.Fatalf("err %v, calls %d", err, f.count("Get"))
	}
}

func TestRetriesOfIdempotentCallsAndInterceptorsSeeEveryAttempt(t *testing.T) {
	addr, f := startFlaky(t)
	f.failures["Get"] = 3
	var mu sync.Mutex
	seen := 0
	count := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		mu.Lock()
		seen++
		mu.Unlock()
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	c := dial(t, addr, mageflow.WithRetryPolicy(fast), mageflow.WithInterceptors([]grpc.UnaryClientInterceptor{count}, nil))
	if _, err := c.LoadSignature(context.Background(), "TaskSignature:a"); err != nil {
		t.Fatal(err)
	}
	if f.count("Get") != 4 || seen != 4 {
		t.Fatalf("calls %d, seen by the interceptor %d", f.count("Get"), seen)
	}
	// Create only with a request id; Suspend never.
	f.failures["Create"], f.failures["Suspend"] = 1, 1
	if _, err := c.Sign(context.Background(), "t", nil); mageflow.CodeOf(err) != codes.Unavailable {
		t.Fatalf("create without request id: %v", err)
	}
	if _, err := c.Sign(context.Background(), "t", nil, mageflow.WithSignRequestID("req-1")); err != nil || f.count("Create") != 2 {
		t.Fatalf("create with request id: %v, calls %d", err, f.count("Create"))
	}
	if _, err := c.Suspend(context.Background(), "TaskSignature:a"); mageflow.CodeOf(err) != codes.Unavailable || f.count("Suspend") != 1 {
		t.Fatalf("suspend: %v, calls %d", err, f.count("Suspend"))
	}
}

func TestResourceExhaustedRetriedOnlyWithRetryInfo(t *testing.T) {
	addr, f := startFlaky(t)
	f.code, f.failures["Get"] = codes.ResourceExhausted, 1
	c := dial(t, addr, mageflow.WithRetryPolicy(fast))
	if _, err := c.LoadSignature(context.Background(), "TaskSignature:a"); mageflow.CodeOf(err) != codes.ResourceExhausted {
		t.Fatalf("without RetryInfo: %v", err)
	}
	f.calls["Get"], f.hint = 0, 300*time.Millisecond
	started := time.Now()
	if _, err := c.LoadSignature(context.Background(), "TaskSignature:a"); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(started); waited < 300*time.Millisecond || f.count("Get") != 2 {
		t.Fatalf("waited %v (the hint is 300ms), calls %d", waited, f.count("Get"))
	}
}

func TestDeadlineCoversEveryAttempt(t *testing.T) {
	addr, f := startFlaky(t)
	f.failures["Get"] = 100
	c := dial(t, addr, mageflow.WithTimeout(500*time.Millisecond),
		mageflow.WithRetryPolicy(mageflow.RetryPolicy{MaxAttempts: 100, InitialDelay: 200 * time.Millisecond, MaxDelay: 200 * time.Millisecond}))
	_, err := c.LoadSignature(context.Background(), "TaskSignature:a")
	if mageflow.CodeOf(err) != codes.Unavailable {
		t.Fatalf("err %v", err)
	}
	if n := f.count("Get"); n < 2 || n > 5 {
		t.Fatalf("%d attempts within a 500ms deadline and 100-200ms delays", n)
	}
}

func TestAddressAndTokenFromEnvironment(t *testing.T) {
	addr, f := startFlaky(t)
	t.Setenv("MAGEFLOW_SERVER", "http://"+addr)
	t.Setenv("MAGEFLOW_TOKEN", "from-env")
	if _, err := dial(t, "").LoadSignature(context.Background(), "TaskSignature:a"); err != nil {
		t.Fatal(err)
	}
	if _, err := dial(t, addr, mageflow.WithToken("")).LoadSignature(context.Background(), "TaskSignature:a"); err != nil {
		t.Fatal(err)
	}
	if len(f.tokens) != 2 || f.tokens[0] != "Bearer from-env" || f.tokens[1] != "" {
		t.Fatalf("tokens %q", f.tokens)
	}
	if _, err := mageflow.Dial(context.Background(), "ftp://x"); err == nil {
		t.Fatal("ftp:// accepted")
	}
}

func TestFailTaskFinalByDefault(t *testing.T) {
	addr, f := startFlaky(t)
	c := dial(t, addr)
	if _, _, err := c.FailTask(context.Background(), "TaskSignature:a", "run-1", mageflow.TaskError{Message: "boom"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.FailTask(context.Background(), "TaskSignature:a", "run-1", mageflow.TaskError{Message: "boom"}, mageflow.NotFinal()); err != nil {
		t.Fatal(err)
	}
	if len(f.finals) != 2 || !f.finals[0] || f.finals[1] {
		t.Fatalf("finals %v", f.finals)
	}
}

func TestWatchReconnectsWithoutBoundByDefault(t *testing.T) {
	addr, f := startFlaky(t)
	for range 25 {
		f.watchPlan = append(f.watchPlan, "unavailable")
	}
	f.watchPlan = append(f.watchPlan, "too-slow", "events")
	w := dial(t, addr).Watch(context.Background(), mageflow.WatchOptions{ReconnectDelay: time.Millisecond, MaxReconnectDelay: 2 * time.Millisecond})
	defer w.Close()
	select {
	case e := <-w.Events():
		if e.GetRevision() != 3 || w.Reconnects() != 26 {
			t.Fatalf("event %v after %d reconnects", e, w.Reconnects())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("no event; err %v", w.Err())
	}
}

func TestWatchEndsOnOtherResourceExhausted(t *testing.T) {
	addr, f := startFlaky(t)
	f.watchPlan = []string{"quota"}
	w := dial(t, addr).Watch(context.Background(), mageflow.WatchOptions{ReconnectDelay: time.Millisecond})
	for range w.Events() {
	}
	if mageflow.CodeOf(w.Err()) != codes.ResourceExhausted {
		t.Fatalf("err %v", w.Err())
	}
}

func TestClientCloseEndsWatchesCleanly(t *testing.T) {
	addr, _ := startFlaky(t)
	c, err := mageflow.Dial(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	w := c.Watch(context.Background(), mageflow.WatchOptions{})
	if e := <-w.Events(); e.GetRevision() != 3 {
		t.Fatalf("event %v", e)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for range w.Events() {
	}
	if err := w.Err(); err != nil {
		t.Fatalf("Err after Client.Close: %v", err)
	}
}
