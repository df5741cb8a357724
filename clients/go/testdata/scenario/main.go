// A user's program: the client scenario against a live server, built from the released module alone.
// It reads the server address from MAGEFLOW_SERVER. The module's tests run it twice: against the checkout
// (replace) and installed from the module proxy folder scripts/release-go.sh builds (scenario_test.go).
//
// Scenario: create a signature with a success and an error callback, watch it, run it, report start and
// completion as a worker would, observe DONE and the callback's dispatch on the watch stream in order,
// suspend/resume another one, hit a lock conflict as a typed error.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"time"

	mageflow "mageflow.dev/signatures/clients/go"

	"google.golang.org/grpc/codes"
)

func failf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "scenario: "+format+"\n", args...)
	os.Exit(1)
}

func must(err error) {
	if err != nil {
		failf("%v", err)
	}
}

func describe(evs []*mageflow.Event) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "\n  r%d %s %s %s run=%q", e.GetRevision(), e.GetType(), e.GetKey(), e.GetStatus(), e.GetRunId())
	}
	return b.String()
}

func collectUntil(w *mageflow.Watcher, evs []*mageflow.Event, done func([]*mageflow.Event) bool) []*mageflow.Event {
	deadline := time.After(15 * time.Second)
	for !done(evs) {
		select {
		case e, ok := <-w.Events():
			if !ok {
				failf("watch ended: %v; events:%s", w.Err(), describe(evs))
			}
			evs = append(evs, e)
		case <-deadline:
			failf("timed out; events:%s", describe(evs))
		}
	}
	return evs
}

func index(evs []*mageflow.Event, pred func(*mageflow.Event) bool) int {
	for i, e := range evs {
		if pred(e) {
			return i
		}
	}
	return -1
}

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := mageflow.Dial(ctx, "") // MAGEFLOW_SERVER
	must(err)
	defer c.Close()
	scenario(ctx, c)
	fmt.Println("scenario: passed")
}

func scenario(ctx context.Context, c *mageflow.Client) {
	tag := fmt.Sprintf("%d", time.Now().UnixNano())

	// A signature with a success and an error callback.
	onSuccess, err := c.Sign(ctx, "scenario.on_success."+tag, map[string]any{"channel": "ok"})
	if err != nil {
		must(err)
	}
	onError, err := c.Sign(ctx, "scenario.on_error."+tag, map[string]any{"channel": "err"})
	if err != nil {
		must(err)
	}
	main, err := c.Sign(ctx, "scenario.main."+tag, map[string]any{"x": 1},
		mageflow.WithSuccessCallbacks(onSuccess.GetKey()), mageflow.WithErrorCallbacks(onError.GetKey()),
		mageflow.WithSignRequestID("create-"+tag))
	if err != nil {
		must(err)
	}
	if !strings.HasPrefix(main.GetKey(), "TaskSignature:") || main.GetTaskStatus().GetStatus() != mageflow.StatusPending ||
		main.GetReturnFieldName() != "mageflow_results" {
		failf("created %v", main)
	}
	again, err := c.Sign(ctx, "scenario.main."+tag, map[string]any{"x": 1},
		mageflow.WithSuccessCallbacks(onSuccess.GetKey()), mageflow.WithErrorCallbacks(onError.GetKey()),
		mageflow.WithSignRequestID("create-"+tag))
	if err != nil || again.GetKey() != main.GetKey() {
		failf("retry with the same request id: %v %v", again, err)
	}

	// Watch the three from just after the main signature's creation.
	w := c.Watch(ctx, mageflow.WatchOptions{Keys: []string{main.GetKey(), onSuccess.GetKey(), onError.GetKey()}, StartRevision: main.GetRevision() + 1})
	defer w.Close()

	run, err := c.RunNoWait(ctx, main.GetKey(), map[string]any{"msg": "hi", "x": 0})
	if err != nil {
		must(err)
	}
	var evs []*mageflow.Event
	runID := run.RunID
	if runID == "" {
		evs = collectUntil(w, evs, func(es []*mageflow.Event) bool {
			return index(es, func(e *mageflow.Event) bool {
				return e.GetType() == mageflow.EventDispatched && e.GetKey() == main.GetKey()
			}) >= 0
		})
		runID = evs[index(evs, func(e *mageflow.Event) bool {
			return e.GetType() == mageflow.EventDispatched && e.GetKey() == main.GetKey()
		})].GetRunId()
	}
	if runID == "" {
		failf("no run id (dispatch state %v)", run.DispatchState)
	}

	// The worker side.
	start, err := c.StartTask(ctx, main.GetKey(), runID, 1)
	if err != nil || !start.Run || start.Signature.GetTaskStatus().GetStatus() != mageflow.StatusActive {
		failf("StartTask: %+v %v", start, err)
	}
	done, dispatched, err := c.CompleteTask(ctx, main.GetKey(), runID, map[string]any{"answer": 42})
	if err != nil || done.GetTaskStatus().GetStatus() != mageflow.StatusDone || !reflect.DeepEqual(dispatched, []string{onSuccess.GetKey()}) {
		failf("CompleteTask: %v %v %v", done, dispatched, err)
	}

	// DONE, then the success callback's dispatch, in revision order; the error callback never runs.
	isCallbackDispatch := func(e *mageflow.Event) bool {
		return e.GetKey() == onSuccess.GetKey() && e.GetType() == mageflow.EventDispatched
	}
	evs = collectUntil(w, evs, func(es []*mageflow.Event) bool { return index(es, isCallbackDispatch) >= 0 })
	for i := 1; i < len(evs); i++ {
		if evs[i].GetRevision() < evs[i-1].GetRevision() {
			failf("out of order:%s", describe(evs))
		}
	}
	iActive := index(evs, func(e *mageflow.Event) bool {
		return e.GetKey() == main.GetKey() && e.GetType() == mageflow.EventStatusChanged && e.GetStatus() == mageflow.StatusActive
	})
	iDone := index(evs, func(e *mageflow.Event) bool {
		return e.GetKey() == main.GetKey() && e.GetType() == mageflow.EventStatusChanged && e.GetStatus() == mageflow.StatusDone
	})
	iDispatch := index(evs, isCallbackDispatch)
	if !(0 <= iActive && iActive < iDone && iDone < iDispatch) || evs[iDispatch].GetRunId() == "" {
		failf("want ACTIVE < DONE < callback DISPATCHED:%s", describe(evs))
	}
	if index(evs, func(e *mageflow.Event) bool {
		return e.GetKey() == onError.GetKey() && (e.GetType() == mageflow.EventRunQueued || e.GetType() == mageflow.EventDispatched)
	}) >= 0 {
		failf("the error callback was dispatched:%s", describe(evs))
	}
	w.Close()

	cb, err := c.LoadSignature(ctx, onSuccess.GetKey())
	if err != nil {
		must(err)
	}
	wantInput := map[string]any{"mageflow_results": map[string]any{"answer": 42.0}, "channel": "ok"}
	if got := cb.GetRun().GetLastInput().AsMap(); !reflect.DeepEqual(got, wantInput) {
		failf("callback input %v, want %v", got, wantInput)
	}

	// Suspend and resume another one.
	other, err := c.Sign(ctx, "scenario.other."+tag, map[string]any{"y": 2})
	if err != nil {
		must(err)
	}
	s, err := c.Suspend(ctx, other.GetKey())
	if err != nil || s.GetTaskStatus().GetStatus() != mageflow.StatusSuspended || s.GetTaskStatus().GetLastStatus() != mageflow.StatusPending {
		failf("Suspend: %v %v", s, err)
	}
	s, err = c.Resume(ctx, other.GetKey())
	if err != nil || s.GetTaskStatus().GetStatus() != mageflow.StatusPending || s.GetTaskStatus().GetLastStatus() != mageflow.StatusSuspended {
		failf("Resume: %v %v", s, err)
	}

	// A lock conflict, and its reason.
	func() {
		lease, err := c.Lock(ctx, other.GetKey(), 30*time.Second, "scenario")
		if err != nil {
			must(err)
		}
		defer func() {
			if err := lease.Unlock(ctx); err != nil {
				failf("Unlock: %v", err)
			}
		}()
		_, err = c.Lock(ctx, other.GetKey(), 5*time.Second, "intruder")
		var e *mageflow.Error
		if !errors.As(err, &e) || e.Code != codes.Aborted || e.Reason != mageflow.ReasonSignatureLocked || e.Domain != mageflow.ErrorDomain || e.Metadata["expire_time"] == "" {
			failf("want ABORTED SIGNATURE_LOCKED with expire_time, got %#v", err)
		}
		if _, err := c.Suspend(ctx, other.GetKey()); !errors.Is(err, mageflow.ErrSignatureLocked) {
			failf("Suspend without the lock id: want SIGNATURE_LOCKED, got %v", err)
		}
		if s, err := c.Suspend(ctx, other.GetKey(), mageflow.WithLockID(lease.LockID)); err != nil || s.GetTaskStatus().GetStatus() != mageflow.StatusSuspended {
			failf("Suspend with the lock id: %v %v", s, err)
		}
	}()
	lease2, err := c.Lock(ctx, other.GetKey(), 5*time.Second, "next")
	if err != nil {
		failf("lock after unlock: %v", err)
	}
	if err := lease2.Unlock(ctx); err != nil {
		must(err)
	}

	if _, err := c.LoadSignature(ctx, "TaskSignature:00000000-0000-4000-8000-000000000000"); !errors.Is(err, mageflow.ErrSignatureNotFound) {
		failf("want SIGNATURE_NOT_FOUND, got %v", err)
	}
}
