// Package mageflow is the Go client of the MageFlow Signature Service, with MageFlow's vocabulary:
// Sign (asign), LoadSignature, RunNoWait, Suspend, Resume, Interrupt, Pause, Cancel, Remove, Delete,
// Lock (a lease to defer-Unlock), Watch (a channel that resumes after disconnects), and the worker side
// StartTask / CompleteTask / FailTask. Every call takes a context.Context; every error it returns from
// the service is an *Error carrying the ErrorInfo reason.
//
// The messages are the generated ones of mageflow.dev/signatures/clients/go/gen/mageflow/v1 (aliased here).
package mageflow

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"sync"
	"time"

	mageflowv1 "mageflow.dev/signatures/clients/go/gen/mageflow/v1"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Aliases of the generated messages.
type (
	Signature     = mageflowv1.Signature
	Event         = mageflowv1.SignatureEvent
	Status        = mageflowv1.Status
	EventType     = mageflowv1.EventType
	DispatchState = mageflowv1.DispatchState
)

// Statuses.
const (
	StatusPending     = mageflowv1.Status_STATUS_PENDING
	StatusActive      = mageflowv1.Status_STATUS_ACTIVE
	StatusDone        = mageflowv1.Status_STATUS_DONE
	StatusFailed      = mageflowv1.Status_STATUS_FAILED
	StatusSuspended   = mageflowv1.Status_STATUS_SUSPENDED
	StatusInterrupted = mageflowv1.Status_STATUS_INTERRUPTED
	StatusCanceled    = mageflowv1.Status_STATUS_CANCELED
)

// Event types.
const (
	EventInitial       = mageflowv1.EventType_EVENT_TYPE_INITIAL
	EventCreated       = mageflowv1.EventType_EVENT_TYPE_CREATED
	EventUpdated       = mageflowv1.EventType_EVENT_TYPE_UPDATED
	EventStatusChanged = mageflowv1.EventType_EVENT_TYPE_STATUS_CHANGED
	EventRunQueued     = mageflowv1.EventType_EVENT_TYPE_RUN_QUEUED
	EventDispatched    = mageflowv1.EventType_EVENT_TYPE_DISPATCHED
	EventLocked        = mageflowv1.EventType_EVENT_TYPE_LOCKED
	EventUnlocked      = mageflowv1.EventType_EVENT_TYPE_UNLOCKED
	EventRemoved       = mageflowv1.EventType_EVENT_TYPE_REMOVED
	EventDeleted       = mageflowv1.EventType_EVENT_TYPE_DELETED
	EventAttemptFailed = mageflowv1.EventType_EVENT_TYPE_ATTEMPT_FAILED
)

// Dispatch states.
const (
	DispatchQueued    = mageflowv1.DispatchState_DISPATCH_STATE_QUEUED
	DispatchTriggered = mageflowv1.DispatchState_DISPATCH_STATE_TRIGGERED
	DispatchParked    = mageflowv1.DispatchState_DISPATCH_STATE_PARKED
)

// Client talks to one service address. It is safe for concurrent use.
type Client struct {
	conn     *grpc.ClientConn
	sig      mageflowv1.SignatureServiceClient
	wrk      mageflowv1.WorkerServiceClient
	ctr      mageflowv1.ContainerServiceClient
	token    string
	timeout  time.Duration
	retry    *RetryPolicy
	mu       sync.Mutex
	watchers map[*Watcher]struct{}
}

type options struct {
	creds   credentials.TransportCredentials
	token   *string
	timeout time.Duration
	retry   *RetryPolicy
	dial    []grpc.DialOption
}

// Option configures Dial.
type Option func(*options)

// WithToken sends "authorization: Bearer <token>" with every call.
func WithToken(token string) Option { return func(o *options) { o.token = &token } }

// WithRetries turns on retries of idempotent calls with DefaultRetryPolicy (they are off by default).
func WithRetries() Option { return WithRetryPolicy(DefaultRetryPolicy) }

// WithRetryPolicy turns on retries of idempotent calls with p (see RetryPolicy).
func WithRetryPolicy(p RetryPolicy) Option {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultRetryPolicy.MaxAttempts
	}
	if p.InitialDelay <= 0 {
		p.InitialDelay = DefaultRetryPolicy.InitialDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultRetryPolicy.MaxDelay
	}
	return func(o *options) { o.retry = &p }
}

// WithInterceptors installs gRPC client interceptors (hooks). The client's own retries run above them,
// so they see every attempt.
func WithInterceptors(unary []grpc.UnaryClientInterceptor, stream []grpc.StreamClientInterceptor) Option {
	return func(o *options) {
		o.dial = append(o.dial, grpc.WithChainUnaryInterceptor(unary...), grpc.WithChainStreamInterceptor(stream...))
	}
}

// WithTLS connects over TLS; a nil config uses the system roots.
func WithTLS(cfg *tls.Config) Option {
	return func(o *options) {
		if cfg == nil {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		o.creds = credentials.NewTLS(cfg)
	}
}

// WithTransportCredentials sets the transport credentials (default: plaintext).
func WithTransportCredentials(c credentials.TransportCredentials) Option {
	return func(o *options) { o.creds = c }
}

// WithTimeout sets a deadline for each unary call whose context has none (default 30 s; 0: none).
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithDialOptions adds gRPC dial options.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dial = append(o.dial, opts...) }
}

// Dial creates a client for addr ("host:port" or any gRPC target). The connection is made lazily; ctx
// bounds nothing after Dial returns and is there for symmetry and future use.
func Dial(ctx context.Context, addr string, opts ...Option) (*Client, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	target, useTLS, err := resolveAddress(addr)
	if err != nil {
		return nil, err
	}
	o := options{creds: insecure.NewCredentials(), timeout: DefaultTimeout}
	if useTLS {
		WithTLS(nil)(&o)
	}
	for _, opt := range opts {
		opt(&o)
	}
	token := os.Getenv("MAGEFLOW_TOKEN")
	if o.token != nil {
		token = *o.token
	}
	dial := append([]grpc.DialOption{grpc.WithTransportCredentials(o.creds)}, o.dial...)
	if token != "" {
		dial = append(dial, grpc.WithPerRPCCredentials(bearer{token: token, secure: o.creds.Info().SecurityProtocol != "insecure"}))
	}
	conn, err := grpc.NewClient(target, dial...)
	if err != nil {
		return nil, fmt.Errorf("mageflow: dial %s: %w", target, err)
	}
	return &Client{
		conn:     conn,
		sig:      mageflowv1.NewSignatureServiceClient(conn),
		wrk:      mageflowv1.NewWorkerServiceClient(conn),
		ctr:      mageflowv1.NewContainerServiceClient(conn),
		token:    token,
		timeout:  o.timeout,
		retry:    o.retry,
		watchers: map[*Watcher]struct{}{},
	}, nil
}

func (c *Client) Close() error {
	c.mu.Lock()
	watchers := make([]*Watcher, 0, len(c.watchers))
	for w := range c.watchers {
		watchers = append(watchers, w)
	}
	c.mu.Unlock()
	for _, w := range watchers {
		w.Close()
	}
	return c.conn.Close()
}

// Conn is the underlying connection (for the generated clients of mageflow/v1).
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

type bearer struct {
	token  string
	secure bool
}

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}
func (b bearer) RequireTransportSecurity() bool { return b.secure }

// unary bounds ctx by the client's default timeout when it has no deadline.
func (c *Client) unary(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok || c.timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, c.timeout)
}

func call[Req, Resp any](c *Client, ctx context.Context, fn func(context.Context, Req, ...grpc.CallOption) (Resp, error), req Req) (Resp, error) {
	ctx, cancel := c.unary(ctx)
	defer cancel()
	policy := c.retry
	if policy != nil && !idempotent(req) {
		policy = nil
	}
	for attempt := 1; ; attempt++ {
		resp, err := fn(ctx, req)
		if err == nil || policy == nil || attempt >= policy.MaxAttempts {
			return resp, wrap(err)
		}
		retry, hint := worthRetrying(err)
		if !retry {
			return resp, wrap(err)
		}
		delay := max(backoff(attempt, policy.InitialDelay, policy.MaxDelay), hint)
		if !sleep(ctx, delay) {
			return resp, wrap(err)
		}
	}
}

// toStruct converts a JSON object; nil stays nil.
func toStruct(m map[string]any) (*structpb.Struct, error) {
	if m == nil {
		return nil, nil
	}
	s, err := structpb.NewStruct(m)
	if err != nil {
		return nil, fmt.Errorf("mageflow: not a JSON object: %w", err)
	}
	return s, nil
}

// Kwargs returns a signature's kwargs as a map.
func Kwargs(s *Signature) map[string]any { return s.GetKwargs().AsMap() }

// ---------------------------------------------------------------- signatures

// SignOption sets a field of CreateSignature.
type SignOption func(*signConfig)

type signConfig struct {
	req *mageflowv1.CreateSignatureRequest
	err error
}

// WithSuccessCallbacks names existing signatures to dispatch with this task's result when it ends DONE.
func WithSuccessCallbacks(keys ...string) SignOption {
	return func(c *signConfig) { c.req.SuccessCallbacks = append(c.req.SuccessCallbacks, keys...) }
}

// WithErrorCallbacks names existing signatures to dispatch with its input and error when it ends FAILED.
func WithErrorCallbacks(keys ...string) SignOption {
	return func(c *signConfig) { c.req.ErrorCallbacks = append(c.req.ErrorCallbacks, keys...) }
}

// WithSignRequestID makes the create idempotent: a retry with the same id returns the first signature.
func WithSignRequestID(id string) SignOption {
	return func(c *signConfig) { c.req.RequestId = id }
}

// Suspended creates the signature SUSPENDED instead of PENDING.
func Suspended() SignOption {
	return func(c *signConfig) { c.req.TaskStatus = StatusSuspended }
}

// WithReturnFieldName sets the field under which callbacks receive the result (default mageflow_results).
func WithReturnFieldName(name string) SignOption {
	return func(c *signConfig) { c.req.ReturnFieldName = name }
}

// WithSignMetadata sets string metadata passed to the task engine with every run.
func WithSignMetadata(md map[string]string) SignOption {
	return func(c *signConfig) { c.req.Metadata = md }
}

// WithInputSchema sets the JSON Schema every composed run input must satisfy.
func WithInputSchema(schema map[string]any) SignOption {
	return func(c *signConfig) {
		s, err := toStruct(schema)
		if err != nil && c.err == nil {
			c.err = err
		}
		c.req.InputSchema = s
	}
}

// WithCreationTime records a creation time other than now.
func WithCreationTime(t time.Time) SignOption {
	return func(c *signConfig) { c.req.CreationTime = timestamppb.New(t) }
}

// Sign creates a signature (MageFlow's asign; CreateSignature). kwargs is the JSON object bound to the
// task (nil: {}).
func (c *Client) Sign(ctx context.Context, taskName string, kwargs map[string]any, opts ...SignOption) (*Signature, error) {
	req, err := signRequest(taskName, kwargs, opts)
	if err != nil {
		return nil, err
	}
	resp, err := call(c, ctx, c.sig.CreateSignature, req)
	if err != nil {
		return nil, err
	}
	return resp.GetSignature(), nil
}

// signRequest is the CreateSignatureRequest that Sign and InlineTask send.
func signRequest(taskName string, kwargs map[string]any, opts []SignOption) (*mageflowv1.CreateSignatureRequest, error) {
	kw, err := toStruct(kwargs)
	if err != nil {
		return nil, err
	}
	cfg := signConfig{req: &mageflowv1.CreateSignatureRequest{TaskName: taskName, Kwargs: kw}}
	for _, opt := range opts {
		opt(&cfg)
	}
	if cfg.err != nil {
		return nil, cfg.err
	}
	return cfg.req, nil
}

// Asign is Sign under MageFlow's name.
func (c *Client) Asign(ctx context.Context, taskName string, kwargs map[string]any, opts ...SignOption) (*Signature, error) {
	return c.Sign(ctx, taskName, kwargs, opts...)
}

// LoadSignature returns one signature (MageFlow's load_signature); ErrSignatureNotFound if unknown.
func (c *Client) LoadSignature(ctx context.Context, key string) (*Signature, error) {
	resp, err := call(c, ctx, c.sig.GetSignature, &mageflowv1.GetSignatureRequest{Key: key})
	if err != nil {
		return nil, err
	}
	return resp.GetSignature(), nil
}

// LoadSignatures returns several signatures in the order asked (BatchGetSignatures).
func (c *Client) LoadSignatures(ctx context.Context, keys ...string) ([]*Signature, error) {
	resp, err := call(c, ctx, c.sig.BatchGetSignatures, &mageflowv1.BatchGetSignaturesRequest{Keys: keys})
	if err != nil {
		return nil, err
	}
	return resp.GetSignatures(), nil
}

// ListOptions filters List.
type ListOptions struct {
	Statuses      []Status
	TaskName      string
	CreatedAfter  time.Time // zero: unbounded
	CreatedBefore time.Time // zero: unbounded
	PageSize      int32
	PageToken     string
}

// List returns one page of signatures, newest first, and the next page token ("" on the last page).
func (c *Client) List(ctx context.Context, o ListOptions) ([]*Signature, string, error) {
	req := &mageflowv1.ListSignaturesRequest{Statuses: o.Statuses, TaskName: o.TaskName, PageSize: o.PageSize, PageToken: o.PageToken}
	if !o.CreatedAfter.IsZero() {
		req.CreateTimeAfter = timestamppb.New(o.CreatedAfter)
	}
	if !o.CreatedBefore.IsZero() {
		req.CreateTimeBefore = timestamppb.New(o.CreatedBefore)
	}
	resp, err := call(c, ctx, c.sig.ListSignatures, req)
	if err != nil {
		return nil, "", err
	}
	return resp.GetSignatures(), resp.GetNextPageToken(), nil
}

// MutateOption sets the common fields of a mutation.
type MutateOption func(*mutation)

type mutation struct {
	lockID           string
	expectedRevision int64
	requestID        string
	metadata         map[string]string
	notFinal         bool
}

// NotFinal makes FailTask report an attempt the engine will retry, instead of the final failure.
func NotFinal() MutateOption { return func(m *mutation) { m.notFinal = true } }

// WithLockID passes the lease id, required while the signature is locked.
func WithLockID(id string) MutateOption { return func(m *mutation) { m.lockID = id } }

// WithExpectedRevision applies the mutation only if the signature's revision is still rev (an etag).
func WithExpectedRevision(rev int64) MutateOption {
	return func(m *mutation) { m.expectedRevision = rev }
}

// WithRequestID makes RunNoWait idempotent.
func WithRequestID(id string) MutateOption { return func(m *mutation) { m.requestID = id } }

// WithMetadata adds engine metadata to RunNoWait, or merges metadata in Update.
func WithMetadata(md map[string]string) MutateOption { return func(m *mutation) { m.metadata = md } }

func mutate(opts []MutateOption) mutation {
	var m mutation
	for _, opt := range opts {
		opt(&m)
	}
	return m
}

// UpdateOptions describes UpdateSignature (MageFlow's kwargs.aupdate).
type UpdateOptions struct {
	// Kwargs are merged key by key into the stored ones, or replace them if Replace names "kwargs".
	Kwargs map[string]any
	// Metadata is merged, or replaces the stored one if Replace names "metadata".
	Metadata map[string]string
	// InputSchema, if non-nil, replaces the schema.
	InputSchema map[string]any
	// ReturnFieldName, if non-nil, replaces the return field name.
	ReturnFieldName *string
	// Replace lists fields to replace instead of merge: kwargs, metadata.
	Replace []string
}

// Update changes a signature's kwargs, metadata, schema or return field name.
func (c *Client) Update(ctx context.Context, key string, u UpdateOptions, opts ...MutateOption) (*Signature, error) {
	m := mutate(opts)
	kw, err := toStruct(u.Kwargs)
	if err != nil {
		return nil, err
	}
	req := &mageflowv1.UpdateSignatureRequest{Key: key, Kwargs: kw, Metadata: u.Metadata, ExpectedRevision: m.expectedRevision, LockId: m.lockID}
	paths := append([]string(nil), u.Replace...)
	if u.InputSchema != nil {
		if req.InputSchema, err = toStruct(u.InputSchema); err != nil {
			return nil, err
		}
		paths = append(paths, "input_schema")
	}
	if u.ReturnFieldName != nil {
		req.ReturnFieldName = *u.ReturnFieldName
		paths = append(paths, "return_field_name")
	}
	if len(paths) > 0 {
		req.UpdateMask = &fieldmaskpb.FieldMask{Paths: paths}
	}
	resp, err := call(c, ctx, c.sig.UpdateSignature, req)
	if err != nil {
		return nil, err
	}
	return resp.GetSignature(), nil
}

// Delete deletes a signature at once (MageFlow's delete_signature) and returns the store revision.
func (c *Client) Delete(ctx context.Context, key string, opts ...MutateOption) (int64, error) {
	m := mutate(opts)
	resp, err := call(c, ctx, c.sig.DeleteSignature, &mageflowv1.DeleteSignatureRequest{Key: key, ExpectedRevision: m.expectedRevision, LockId: m.lockID})
	if err != nil {
		return 0, err
	}
	return resp.GetRevision(), nil
}

// Remove retires a signature and, per flags, its error and success callback trees (MageFlow's remove,
// whose flags default to true). It returns every key removed, the requested one first.
func (c *Client) Remove(ctx context.Context, key string, withError, withSuccess bool, opts ...MutateOption) ([]string, error) {
	m := mutate(opts)
	req := &mageflowv1.RemoveSignatureRequest{Key: key, WithError: &withError, WithSuccess: &withSuccess, ExpectedRevision: m.expectedRevision, LockId: m.lockID}
	resp, err := call(c, ctx, c.sig.RemoveSignature, req)
	if err != nil {
		return nil, err
	}
	return resp.GetRemovedKeys(), nil
}

// RunResult is what RunNoWait returns.
type RunResult struct {
	Signature     *Signature
	RunID         string        // the engine's run id; "" while QUEUED or PARKED
	DispatchState DispatchState // TRIGGERED, QUEUED or PARKED
}

// RunNoWait dispatches a PENDING signature (MageFlow's aio_run_no_wait; RunSignature). The run input is
// deep_merge(message, kwargs): kwargs win.
func (c *Client) RunNoWait(ctx context.Context, key string, message map[string]any, opts ...MutateOption) (*RunResult, error) {
	m := mutate(opts)
	msg, err := toStruct(message)
	if err != nil {
		return nil, err
	}
	req := &mageflowv1.RunSignatureRequest{Key: key, Message: msg, Metadata: m.metadata, RequestId: m.requestID, ExpectedRevision: m.expectedRevision, LockId: m.lockID}
	resp, err := call(c, ctx, c.sig.RunSignature, req)
	if err != nil {
		return nil, err
	}
	return &RunResult{Signature: resp.GetSignature(), RunID: resp.GetRunId(), DispatchState: resp.GetDispatchState()}, nil
}

// Suspend holds a PENDING signature before it starts.
func (c *Client) Suspend(ctx context.Context, key string, opts ...MutateOption) (*Signature, error) {
	m := mutate(opts)
	resp, err := call(c, ctx, c.sig.SuspendSignature, &mageflowv1.SuspendSignatureRequest{Key: key, ExpectedRevision: m.expectedRevision, LockId: m.lockID})
	if err != nil {
		return nil, err
	}
	return resp.GetSignature(), nil
}

// Resume returns a SUSPENDED or INTERRUPTED signature to PENDING and re-dispatches its run.
func (c *Client) Resume(ctx context.Context, key string, opts ...MutateOption) (*Signature, error) {
	m := mutate(opts)
	resp, err := call(c, ctx, c.sig.ResumeSignature, &mageflowv1.ResumeSignatureRequest{Key: key, ExpectedRevision: m.expectedRevision, LockId: m.lockID})
	if err != nil {
		return nil, err
	}
	return resp.GetSignature(), nil
}

// Interrupt stops a signature and cancels its in-flight run at the engine.
func (c *Client) Interrupt(ctx context.Context, key string, opts ...MutateOption) (*Signature, error) {
	m := mutate(opts)
	resp, err := call(c, ctx, c.sig.InterruptSignature, &mageflowv1.InterruptSignatureRequest{Key: key, ExpectedRevision: m.expectedRevision, LockId: m.lockID})
	if err != nil {
		return nil, err
	}
	return resp.GetSignature(), nil
}

// Pause is MageFlow's pause_task: soft suspends, hard interrupts.
func (c *Client) Pause(ctx context.Context, key string, hard bool, opts ...MutateOption) (*Signature, error) {
	m := mutate(opts)
	pt := mageflowv1.PauseType_PAUSE_TYPE_SOFT
	if hard {
		pt = mageflowv1.PauseType_PAUSE_TYPE_HARD
	}
	resp, err := call(c, ctx, c.sig.PauseSignature, &mageflowv1.PauseSignatureRequest{Key: key, PauseType: pt, ExpectedRevision: m.expectedRevision, LockId: m.lockID})
	if err != nil {
		return nil, err
	}
	return resp.GetSignature(), nil
}

// Cancel cancels a signature for good, with its in-flight run and both callback branches.
func (c *Client) Cancel(ctx context.Context, key string, opts ...MutateOption) (*Signature, error) {
	m := mutate(opts)
	resp, err := call(c, ctx, c.sig.CancelSignature, &mageflowv1.CancelSignatureRequest{Key: key, ExpectedRevision: m.expectedRevision, LockId: m.lockID})
	if err != nil {
		return nil, err
	}
	return resp.GetSignature(), nil
}

// ---------------------------------------------------------------- locks

// Lease is a lock on a signature (MageFlow's lock_task, with an expiry). Pass LockID to mutations
// (WithLockID) while holding it; release it with Unlock, typically deferred:
//
//	lease, err := client.Lock(ctx, key, 30*time.Second, "billing")
//	if err != nil { return err }
//	defer lease.Unlock(ctx)
type Lease struct {
	c          *Client
	Key        string
	LockID     string
	Owner      string
	ExpireTime time.Time
	// Signature is the signature as of the last Lock or Renew.
	Signature *Signature
	released  bool
}

// Lock takes a lease on key for ttl (capped by the server). ErrSignatureLocked if someone holds it.
func (c *Client) Lock(ctx context.Context, key string, ttl time.Duration, owner string) (*Lease, error) {
	resp, err := call(c, ctx, c.sig.LockSignature, &mageflowv1.LockSignatureRequest{Key: key, Ttl: durationpb.New(ttl), Owner: owner})
	if err != nil {
		return nil, err
	}
	return &Lease{c: c, Key: key, LockID: resp.GetLockId(), Owner: owner, ExpireTime: resp.GetExpireTime().AsTime(), Signature: resp.GetSignature()}, nil
}

// Renew extends the lease by ttl from now.
func (l *Lease) Renew(ctx context.Context, ttl time.Duration) error {
	resp, err := call(l.c, ctx, l.c.sig.LockSignature, &mageflowv1.LockSignatureRequest{Key: l.Key, Ttl: durationpb.New(ttl), Owner: l.Owner, LockId: l.LockID})
	if err != nil {
		return err
	}
	l.ExpireTime, l.Signature = resp.GetExpireTime().AsTime(), resp.GetSignature()
	return nil
}

// Unlock releases the lease. Calling it again, or after the signature was deleted, returns nil.
func (l *Lease) Unlock(ctx context.Context) error {
	if l == nil || l.released {
		return nil
	}
	_, err := call(l.c, ctx, l.c.sig.UnlockSignature, &mageflowv1.UnlockSignatureRequest{Key: l.Key, LockId: l.LockID})
	if err != nil && CodeOf(err) != codes.NotFound {
		return err
	}
	l.released = true
	return nil
}

// ---------------------------------------------------------------- worker side

// StartResult is what StartTask returns: run the user function only if Run is true.
type StartResult struct {
	Run        bool
	SkipReason string
	Signature  *Signature
}

// StartTask asks whether to run this run; the signature becomes ACTIVE on RUN.
func (c *Client) StartTask(ctx context.Context, key, runID string, attempt int32, opts ...MutateOption) (*StartResult, error) {
	m := mutate(opts)
	resp, err := call(c, ctx, c.wrk.StartTask, &mageflowv1.StartTaskRequest{Key: key, RunId: runID, Attempt: attempt, LockId: m.lockID})
	if err != nil {
		return nil, err
	}
	return &StartResult{Run: resp.GetDecision() == mageflowv1.StartDecision_START_DECISION_RUN, SkipReason: resp.GetSkipReason(), Signature: resp.GetSignature()}, nil
}

// CompleteTask reports success with the task's result (any JSON value); the signature becomes DONE
// and its success callbacks are dispatched (their keys are returned).
func (c *Client) CompleteTask(ctx context.Context, key, runID string, result any, opts ...MutateOption) (*Signature, []string, error) {
	m := mutate(opts)
	v, err := structpb.NewValue(result)
	if err != nil {
		return nil, nil, fmt.Errorf("mageflow: result is not a JSON value: %w", err)
	}
	resp, err := call(c, ctx, c.wrk.CompleteTask, &mageflowv1.CompleteTaskRequest{Key: key, RunId: runID, Result: v, LockId: m.lockID})
	if err != nil {
		return nil, nil, err
	}
	return resp.GetSignature(), resp.GetDispatchedCallbacks(), nil
}

// TaskError describes a failed attempt.
type TaskError struct {
	Message string
	Type    string
	Attempt int32
}

// FailTask reports a failure. It is final by default: the signature becomes FAILED and its error
// callbacks are dispatched (their keys are returned). With NotFinal it reports an attempt the engine
// will retry.
func (c *Client) FailTask(ctx context.Context, key, runID string, e TaskError, opts ...MutateOption) (*Signature, []string, error) {
	m := mutate(opts)
	req := &mageflowv1.FailTaskRequest{Key: key, RunId: runID, Error: &mageflowv1.TaskError{Message: e.Message, Type: e.Type, Attempt: e.Attempt}, Final: !m.notFinal, LockId: m.lockID}
	resp, err := call(c, ctx, c.wrk.FailTask, req)
	if err != nil {
		return nil, nil, err
	}
	return resp.GetSignature(), resp.GetDispatchedCallbacks(), nil
}
