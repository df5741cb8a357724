package mageflow_test

// Client behaviour against an in-process fake of the service: error trailers, the bearer token, lock
// leases, and a watch that resumes after a disconnect and ends at REVISION_COMPACTED.

import (
	"context"
	"errors"
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
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func svcErr(code codes.Code, msg, reason string, md map[string]string) error {
	st, err := status.New(code, msg).WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: "mageflow.dev", Metadata: md})
	if err != nil {
		panic(err)
	}
	return st.Err()
}

func sig(key string, st mageflowv1.Status, rev int64) *mageflowv1.Signature {
	return &mageflowv1.Signature{Key: key, TaskName: "t", TaskStatus: &mageflowv1.TaskStatus{Status: st}, Revision: rev}
}

func ev(rev int64, key string, st mageflowv1.Status) *mageflowv1.SignatureEvent {
	return &mageflowv1.SignatureEvent{Revision: rev, Type: mageflow.EventStatusChanged, Key: key, Status: st, Signature: sig(key, st, rev)}
}

type fakeSigs struct {
	mageflowv1.UnimplementedSignatureServiceServer
	mu            sync.Mutex
	watchRequests []*mageflowv1.WatchSignaturesRequest
	unlocks       []string
	tokens        []string
	holder        string
}

func (f *fakeSigs) CreateSignature(ctx context.Context, req *mageflowv1.CreateSignatureRequest) (*mageflowv1.CreateSignatureResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	f.tokens = append(f.tokens, md.Get("authorization")...)
	f.mu.Unlock()
	if got := md.Get("authorization"); len(got) != 1 || got[0] != "Bearer s3cret" {
		return nil, svcErr(codes.Unauthenticated, "no token", "UNAUTHENTICATED", nil)
	}
	s := sig("TaskSignature:new", mageflow.StatusPending, 1)
	s.Kwargs, s.SuccessCallbacks = req.GetKwargs(), req.GetSuccessCallbacks()
	return &mageflowv1.CreateSignatureResponse{Signature: s}, nil
}

func (f *fakeSigs) GetSignature(_ context.Context, req *mageflowv1.GetSignatureRequest) (*mageflowv1.GetSignatureResponse, error) {
	return nil, svcErr(codes.NotFound, req.GetKey()+" not found", "SIGNATURE_NOT_FOUND", map[string]string{"key": req.GetKey()})
}

func (f *fakeSigs) LockSignature(_ context.Context, req *mageflowv1.LockSignatureRequest) (*mageflowv1.LockSignatureResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.holder != "" && req.GetLockId() != f.holder {
		return nil, svcErr(codes.Aborted, "locked", "SIGNATURE_LOCKED", map[string]string{"expire_time": "2030-01-01T00:00:00Z"})
	}
	f.holder = "lease-1"
	return &mageflowv1.LockSignatureResponse{LockId: f.holder, ExpireTime: timestamppb.New(time.Now().Add(req.GetTtl().AsDuration())), Signature: sig(req.GetKey(), mageflow.StatusPending, 2)}, nil
}

func (f *fakeSigs) UnlockSignature(_ context.Context, req *mageflowv1.UnlockSignatureRequest) (*mageflowv1.UnlockSignatureResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unlocks = append(f.unlocks, req.GetLockId())
	f.holder = ""
	return &mageflowv1.UnlockSignatureResponse{Signature: sig(req.GetKey(), mageflow.StatusPending, 3)}, nil
}

func (f *fakeSigs) WatchSignatures(req *mageflowv1.WatchSignaturesRequest, stream grpc.ServerStreamingServer[mageflowv1.WatchSignaturesResponse]) error {
	f.mu.Lock()
	f.watchRequests = append(f.watchRequests, req)
	n := len(f.watchRequests)
	f.mu.Unlock()
	switch n {
	case 1: // two revisions, then the connection "drops"
		_ = stream.Send(&mageflowv1.WatchSignaturesResponse{Events: []*mageflowv1.SignatureEvent{ev(5, "k1", mageflow.StatusPending)}, Revision: 5})
		_ = stream.Send(&mageflowv1.WatchSignaturesResponse{Events: []*mageflowv1.SignatureEvent{ev(6, "k1", mageflow.StatusActive)}, Revision: 6})
		return svcErr(codes.Unavailable, "going away", "SERVER_RESTARTING", nil)
	case 2: // resumed: a bookmark, one revision with two events, then the server ends the stream
		_ = stream.Send(&mageflowv1.WatchSignaturesResponse{Revision: 8, Bookmark: true})
		_ = stream.Send(&mageflowv1.WatchSignaturesResponse{Events: []*mageflowv1.SignatureEvent{ev(9, "k1", mageflow.StatusDone), ev(9, "k2", mageflow.StatusPending)}, Revision: 9})
		return nil
	default:
		return svcErr(codes.FailedPrecondition, "revision compacted", "REVISION_COMPACTED", map[string]string{"oldest_revision": "100"})
	}
}

type fakeWorkers struct {
	mageflowv1.UnimplementedWorkerServiceServer
}

func (fakeWorkers) StartTask(_ context.Context, req *mageflowv1.StartTaskRequest) (*mageflowv1.StartTaskResponse, error) {
	return &mageflowv1.StartTaskResponse{Decision: mageflowv1.StartDecision_START_DECISION_RUN, Signature: sig(req.GetKey(), mageflow.StatusActive, 4)}, nil
}

func (fakeWorkers) CompleteTask(_ context.Context, req *mageflowv1.CompleteTaskRequest) (*mageflowv1.CompleteTaskResponse, error) {
	s := sig(req.GetKey(), mageflow.StatusDone, 5)
	s.Run = &mageflowv1.SignatureRun{RunId: req.GetRunId(), Result: req.GetResult()}
	return &mageflowv1.CompleteTaskResponse{Signature: s, DispatchedCallbacks: []string{"TaskSignature:cb"}}, nil
}

func startFake(t *testing.T) (string, *fakeSigs) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	f := &fakeSigs{}
	mageflowv1.RegisterSignatureServiceServer(srv, f)
	mageflowv1.RegisterWorkerServiceServer(srv, fakeWorkers{})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String(), f
}

func dial(t *testing.T, addr string, opts ...mageflow.Option) *mageflow.Client {
	t.Helper()
	c, err := mageflow.Dial(context.Background(), addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestFakeTokenAndKwargs(t *testing.T) {
	addr, f := startFake(t)
	ctx := context.Background()
	c := dial(t, addr, mageflow.WithToken("s3cret"))
	s, err := c.Sign(ctx, "t", map[string]any{"a": map[string]any{"b": []any{1.0, "x", nil, true}}}, mageflow.WithSuccessCallbacks("TaskSignature:cb"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := structpb.NewStruct(map[string]any{"a": map[string]any{"b": []any{1.0, "x", nil, true}}})
	if got := mageflow.Kwargs(s); got["a"].(map[string]any)["b"].([]any)[1] != "x" || len(s.GetSuccessCallbacks()) != 1 {
		t.Fatalf("got %v, want %v", got, want.AsMap())
	}
	if len(f.tokens) != 1 || f.tokens[0] != "Bearer s3cret" {
		t.Fatalf("tokens %v", f.tokens)
	}
	_, err = dial(t, addr).Sign(ctx, "t", nil)
	if mageflow.CodeOf(err) != codes.Unauthenticated {
		t.Fatalf("want UNAUTHENTICATED, got %v", err)
	}
}

func TestFakeNotFound(t *testing.T) {
	addr, _ := startFake(t)
	_, err := dial(t, addr).LoadSignature(context.Background(), "TaskSignature:nope")
	var e *mageflow.Error
	if !errors.As(err, &e) || e.Code != codes.NotFound || e.Reason != mageflow.ReasonSignatureNotFound || e.Metadata["key"] != "TaskSignature:nope" {
		t.Fatalf("got %#v", err)
	}
	if !errors.Is(err, mageflow.ErrSignatureNotFound) {
		t.Fatal("errors.Is(ErrSignatureNotFound)")
	}
}

func TestFakeLockLease(t *testing.T) {
	addr, f := startFake(t)
	ctx := context.Background()
	c := dial(t, addr)
	func() {
		lease, err := c.Lock(ctx, "TaskSignature:a", 5*time.Second, "me")
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := lease.Unlock(ctx); err != nil {
				t.Error(err)
			}
		}()
		if lease.LockID != "lease-1" || lease.ExpireTime.IsZero() {
			t.Fatalf("lease %+v", lease)
		}
		_, err = c.Lock(ctx, "TaskSignature:a", 5*time.Second, "other")
		if !errors.Is(err, mageflow.ErrSignatureLocked) {
			t.Fatalf("want SIGNATURE_LOCKED, got %v", err)
		}
		var e *mageflow.Error
		if !errors.As(err, &e) || e.Metadata["expire_time"] == "" {
			t.Fatalf("no expire_time in %v", err)
		}
		if err := lease.Renew(ctx, 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}()
	if len(f.unlocks) != 1 || f.unlocks[0] != "lease-1" {
		t.Fatalf("unlocks %v", f.unlocks)
	}
}

func TestFakeWatchResumesThenFailsOnCompaction(t *testing.T) {
	addr, f := startFake(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w := dial(t, addr).Watch(ctx, mageflow.WatchOptions{Keys: []string{"k1", "k2"}, StartRevision: 5, MaxReconnects: 3, ReconnectDelay: 10 * time.Millisecond})
	defer w.Close()
	type got struct {
		rev int64
		key string
		st  mageflow.Status
	}
	var events []got
	for e := range w.Events() {
		events = append(events, got{e.GetRevision(), e.GetKey(), e.GetStatus()})
	}
	want := []got{{5, "k1", mageflow.StatusPending}, {6, "k1", mageflow.StatusActive}, {9, "k1", mageflow.StatusDone}, {9, "k2", mageflow.StatusPending}}
	if len(events) != len(want) {
		t.Fatalf("events %v, want %v", events, want)
	}
	for i := range want {
		if events[i] != want[i] {
			t.Fatalf("events %v, want %v", events, want)
		}
	}
	err := w.Err()
	var e *mageflow.Error
	if !errors.Is(err, mageflow.ErrRevisionCompacted) || !errors.As(err, &e) || e.Metadata["oldest_revision"] != "100" {
		t.Fatalf("want REVISION_COMPACTED, got %v", err)
	}
	if w.Revision() != 9 {
		t.Fatalf("revision %d", w.Revision())
	}
	var starts []int64
	for _, r := range f.watchRequests {
		starts = append(starts, r.GetStartRevision())
	}
	if len(starts) != 3 || starts[0] != 5 || starts[1] != 7 || starts[2] != 10 {
		t.Fatalf("start revisions %v, want [5 7 10]", starts)
	}
}

func TestFakeWatchCloseEndsCleanly(t *testing.T) {
	addr, _ := startFake(t)
	w := dial(t, addr).Watch(context.Background(), mageflow.WatchOptions{StartRevision: 5})
	first := <-w.Events()
	if first.GetRevision() != 5 {
		t.Fatalf("first %v", first)
	}
	w.Close()
	for range w.Events() {
	}
	if err := w.Err(); err != nil {
		t.Fatalf("Err after Close: %v", err)
	}
}

func TestFakeWorkerSide(t *testing.T) {
	addr, _ := startFake(t)
	ctx := context.Background()
	c := dial(t, addr)
	start, err := c.StartTask(ctx, "TaskSignature:a", "run-1", 1)
	if err != nil || !start.Run || start.Signature.GetTaskStatus().GetStatus() != mageflow.StatusActive {
		t.Fatalf("start %+v %v", start, err)
	}
	s, cbs, err := c.CompleteTask(ctx, "TaskSignature:a", "run-1", map[string]any{"answer": 42})
	if err != nil || s.GetTaskStatus().GetStatus() != mageflow.StatusDone || len(cbs) != 1 {
		t.Fatalf("complete %v %v %v", s, cbs, err)
	}
	if s.GetRun().GetResult().GetStructValue().AsMap()["answer"] != 42.0 {
		t.Fatalf("result %v", s.GetRun().GetResult())
	}
}
