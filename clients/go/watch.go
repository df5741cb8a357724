package mageflow

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	mageflowv1 "mageflow.dev/signatures/clients/go/gen/mageflow/v1"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"
)

// WatchOptions selects what Watch reports and how it reconnects.
type WatchOptions struct {
	// Filter: empty lists match everything; a signature must match every non-empty list.
	Keys      []string
	TaskNames []string
	Statuses  []Status
	// StartRevision 0 reports changes after now; N replays from revision N (inclusive) out of the
	// retained history. Older than the history: the watch ends with ErrRevisionCompacted.
	StartRevision int64
	// SendInitial first sends the current state of every matching signature (EventInitial).
	SendInitial bool
	// ProgressInterval is the bookmark interval while idle (server default when 0).
	ProgressInterval time.Duration
	// MaxReconnects bounds consecutive failed reconnects (0 or negative: no bound, the default).
	MaxReconnects int
	// ReconnectDelay is the first backoff delay (0: 100 ms); it doubles up to MaxReconnectDelay, with
	// jitter, and starts over once a message arrives.
	ReconnectDelay time.Duration
	// MaxReconnectDelay caps the backoff delay (0: 10 s).
	MaxReconnectDelay time.Duration
	// Buffer is the capacity of the events channel (0: 64).
	Buffer int
}

// Watcher delivers signature events in revision order on Events. After a disconnect (UNAVAILABLE), a
// stream the server ended, or a RESOURCE_EXHAUSTED WATCH_TOO_SLOW end (a subscriber that fell behind), it reconnects
// by itself and resumes at Revision()+1, so nothing is lost or repeated. When it ends, Events is closed
// and Err tells why.
type Watcher struct {
	events     chan *Event
	done       chan struct{}
	cancel     context.CancelFunc
	closed     atomic.Bool
	revision   atomic.Int64
	reconnects atomic.Int64
	mu         sync.Mutex
	err        error
}

// Watch starts a watch (WatchSignatures). It ends when ctx is done, Close is called, the server
// rejects it (e.g. ErrRevisionCompacted), or reconnecting keeps failing.
//
//	w := client.Watch(ctx, mageflow.WatchOptions{Keys: []string{key}})
//	defer w.Close()
//	for ev := range w.Events() { ... }
//	if err := w.Err(); err != nil { ... }
func (c *Client) Watch(ctx context.Context, o WatchOptions) *Watcher {
	if o.ReconnectDelay <= 0 {
		o.ReconnectDelay = 100 * time.Millisecond
	}
	if o.MaxReconnectDelay <= 0 {
		o.MaxReconnectDelay = 10 * time.Second
	}
	if o.Buffer <= 0 {
		o.Buffer = 64
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &Watcher{events: make(chan *Event, o.Buffer), done: make(chan struct{}), cancel: cancel}
	c.mu.Lock()
	c.watchers[w] = struct{}{}
	c.mu.Unlock()
	go func() {
		w.run(ctx, c, o)
		c.mu.Lock()
		delete(c.watchers, w)
		c.mu.Unlock()
	}()
	return w
}

// Events is closed when the watch ends.
func (w *Watcher) Events() <-chan *Event { return w.events }

// Revision is the store revision everything has been delivered up to (0 before the first message).
func (w *Watcher) Revision() int64 { return w.revision.Load() }

// Reconnects counts how many times the stream was re-established.
func (w *Watcher) Reconnects() int64 { return w.reconnects.Load() }

// Err is why the watch ended: nil after Close, the context's error, or an *Error. Valid once Events
// is closed.
func (w *Watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Close ends the watch and waits for it to stop.
func (w *Watcher) Close() {
	w.closed.Store(true)
	w.cancel()
	<-w.done
}

func (w *Watcher) finish(err error) {
	if w.closed.Load() {
		err = nil
	}
	w.mu.Lock()
	w.err = err
	w.mu.Unlock()
}

func (w *Watcher) request(o WatchOptions) *mageflowv1.WatchSignaturesRequest {
	req := &mageflowv1.WatchSignaturesRequest{
		Filter: &mageflowv1.SignatureFilter{Keys: o.Keys, TaskNames: o.TaskNames, Statuses: o.Statuses},
	}
	if rev := w.revision.Load(); rev > 0 {
		req.StartRevision = rev + 1 // resume: nothing delivered is sent again
	} else {
		req.StartRevision, req.SendInitial = o.StartRevision, o.SendInitial
	}
	if o.ProgressInterval > 0 {
		req.ProgressInterval = durationpb.New(o.ProgressInterval)
	}
	return req
}

func resumable(err error) bool {
	if errors.Is(err, io.EOF) {
		return true
	}
	switch CodeOf(err) {
	case codes.Unavailable:
		return true
	case codes.ResourceExhausted:
		return ReasonOf(wrap(err)) == "WATCH_TOO_SLOW"
	}
	return false
}

func (w *Watcher) run(ctx context.Context, c *Client, o WatchOptions) {
	defer close(w.done)
	defer close(w.events)
	defer w.cancel()
	failures := 0
	for {
		err := w.stream(ctx, c, o, &failures)
		if ctx.Err() != nil {
			w.finish(ctx.Err())
			return
		}
		if !resumable(err) {
			w.finish(wrap(err))
			return
		}
		failures++
		if o.MaxReconnects > 0 && failures > o.MaxReconnects {
			if errors.Is(err, io.EOF) {
				err = errors.New("mageflow: watch: the server keeps ending the stream")
			}
			w.finish(wrap(err))
			return
		}
		delay := backoff(failures, o.ReconnectDelay, o.MaxReconnectDelay)
		select {
		case <-ctx.Done():
			w.finish(ctx.Err())
			return
		case <-time.After(delay):
		}
		w.reconnects.Add(1)
	}
}

// stream runs one WatchSignatures call until it fails; it returns the error (io.EOF for a clean end).
func (w *Watcher) stream(ctx context.Context, c *Client, o WatchOptions, failures *int) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.sig.WatchSignatures(sctx, w.request(o))
	if err != nil {
		return err
	}
	for {
		resp, err := stream.Recv()
		if err != nil {
			return err
		}
		*failures = 0
		for _, ev := range resp.GetEvents() {
			select {
			case w.events <- ev:
			case <-ctx.Done():
				return ctx.Err()
			}
			if ev.GetRevision() > w.revision.Load() {
				w.revision.Store(ev.GetRevision())
			}
		}
		if resp.GetRevision() > w.revision.Load() {
			w.revision.Store(resp.GetRevision())
		}
	}
}
