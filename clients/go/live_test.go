package mageflow_test

// The client scenario against a live server (issue 7), started by the test as
// `tsx src/main.ts serve --port 0 --http-port 0` in the repository root (embedded in-memory store,
// recording dispatcher): create a signature with a success and an error callback, watch it, run it,
// report start and completion as a worker would, observe DONE and the callback's dispatch on the watch
// stream in order, suspend/resume another one, hit a lock conflict and read the reason.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	mageflow "mageflow.dev/signatures/clients/go"

	"google.golang.org/grpc/codes"
)

func repoRoot(t *testing.T) string {
	if r := os.Getenv("MAGEFLOW_REPO_ROOT"); r != "" {
		return r
	}
	r, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// startServer starts the live server and returns its gRPC address; it is stopped when the test ends.
func startServer(t *testing.T) string {
	t.Helper()
	root := repoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "src", "main.ts")); err != nil {
		t.Fatalf("the live scenario needs the server: %v", err)
	}
	args := []string{"src/main.ts", "serve", "--port", "0", "--http-port", "0"}
	name := filepath.Join(root, "node_modules", ".bin", "tsx")
	if _, err := os.Stat(name); err != nil {
		name, args = "npx", append([]string{"tsx"}, args...)
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = root
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var lines []string
	found := make(chan string, 1)
	exited := make(chan struct{})
	re := regexp.MustCompile(`grpc=(\S+:\d+)`)
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			mu.Lock()
			lines = append(lines, line)
			mu.Unlock()
			if m := re.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	stop := func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	tail := func() string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(lines[max(0, len(lines)-40):], "\n")
	}
	select {
	case addr := <-found:
		t.Cleanup(func() {
			stop()
			if t.Failed() {
				t.Logf("server output:\n%s", tail())
			}
		})
		return addr
	case <-exited:
		stop()
		t.Fatalf("the server exited before reporting grpc=<address>:\n%s", tail())
	case <-time.After(60 * time.Second):
		stop()
		t.Fatalf("the server did not report grpc=<address> within 60 s:\n%s", tail())
	}
	return ""
}

func describe(evs []*mageflow.Event) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "\n  r%d %s %s %s run=%q", e.GetRevision(), e.GetType(), e.GetKey(), e.GetStatus(), e.GetRunId())
	}
	return b.String()
}

func collectUntil(t *testing.T, w *mageflow.Watcher, evs []*mageflow.Event, done func([]*mageflow.Event) bool) []*mageflow.Event {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for !done(evs) {
		select {
		case e, ok := <-w.Events():
			if !ok {
				t.Fatalf("watch ended: %v; events:%s", w.Err(), describe(evs))
			}
			evs = append(evs, e)
		case <-deadline:
			t.Fatalf("timed out; events:%s", describe(evs))
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

func TestLiveScenario(t *testing.T) {
	addr := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := mageflow.Dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tag := fmt.Sprintf("%d", time.Now().UnixNano())

	// A signature with a success and an error callback.
	onSuccess, err := c.Sign(ctx, "scenario.on_success."+tag, map[string]any{"channel": "ok"})
	if err != nil {
		t.Fatal(err)
	}
	onError, err := c.Sign(ctx, "scenario.on_error."+tag, map[string]any{"channel": "err"})
	if err != nil {
		t.Fatal(err)
	}
	main, err := c.Sign(ctx, "scenario.main."+tag, map[string]any{"x": 1},
		mageflow.WithSuccessCallbacks(onSuccess.GetKey()), mageflow.WithErrorCallbacks(onError.GetKey()),
		mageflow.WithSignRequestID("create-"+tag))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(main.GetKey(), "TaskSignature:") || main.GetTaskStatus().GetStatus() != mageflow.StatusPending ||
		main.GetReturnFieldName() != "mageflow_results" {
		t.Fatalf("created %v", main)
	}
	again, err := c.Sign(ctx, "scenario.main."+tag, map[string]any{"x": 1},
		mageflow.WithSuccessCallbacks(onSuccess.GetKey()), mageflow.WithErrorCallbacks(onError.GetKey()),
		mageflow.WithSignRequestID("create-"+tag))
	if err != nil || again.GetKey() != main.GetKey() {
		t.Fatalf("retry with the same request id: %v %v", again, err)
	}

	// Watch the three from just after the main signature's creation.
	w := c.Watch(ctx, mageflow.WatchOptions{Keys: []string{main.GetKey(), onSuccess.GetKey(), onError.GetKey()}, StartRevision: main.GetRevision() + 1})
	defer w.Close()

	run, err := c.RunNoWait(ctx, main.GetKey(), map[string]any{"msg": "hi", "x": 0})
	if err != nil {
		t.Fatal(err)
	}
	var evs []*mageflow.Event
	runID := run.RunID
	if runID == "" {
		evs = collectUntil(t, w, evs, func(es []*mageflow.Event) bool {
			return index(es, func(e *mageflow.Event) bool {
				return e.GetType() == mageflow.EventDispatched && e.GetKey() == main.GetKey()
			}) >= 0
		})
		runID = evs[index(evs, func(e *mageflow.Event) bool {
			return e.GetType() == mageflow.EventDispatched && e.GetKey() == main.GetKey()
		})].GetRunId()
	}
	if runID == "" {
		t.Fatalf("no run id (dispatch state %v)", run.DispatchState)
	}

	// The worker side.
	start, err := c.StartTask(ctx, main.GetKey(), runID, 1)
	if err != nil || !start.Run || start.Signature.GetTaskStatus().GetStatus() != mageflow.StatusActive {
		t.Fatalf("StartTask: %+v %v", start, err)
	}
	done, dispatched, err := c.CompleteTask(ctx, main.GetKey(), runID, map[string]any{"answer": 42})
	if err != nil || done.GetTaskStatus().GetStatus() != mageflow.StatusDone || !reflect.DeepEqual(dispatched, []string{onSuccess.GetKey()}) {
		t.Fatalf("CompleteTask: %v %v %v", done, dispatched, err)
	}

	// DONE, then the success callback's dispatch, in revision order; the error callback never runs.
	isCallbackDispatch := func(e *mageflow.Event) bool {
		return e.GetKey() == onSuccess.GetKey() && e.GetType() == mageflow.EventDispatched
	}
	evs = collectUntil(t, w, evs, func(es []*mageflow.Event) bool { return index(es, isCallbackDispatch) >= 0 })
	for i := 1; i < len(evs); i++ {
		if evs[i].GetRevision() < evs[i-1].GetRevision() {
			t.Fatalf("out of order:%s", describe(evs))
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
		t.Fatalf("want ACTIVE < DONE < callback DISPATCHED:%s", describe(evs))
	}
	if index(evs, func(e *mageflow.Event) bool {
		return e.GetKey() == onError.GetKey() && (e.GetType() == mageflow.EventRunQueued || e.GetType() == mageflow.EventDispatched)
	}) >= 0 {
		t.Fatalf("the error callback was dispatched:%s", describe(evs))
	}
	w.Close()

	cb, err := c.LoadSignature(ctx, onSuccess.GetKey())
	if err != nil {
		t.Fatal(err)
	}
	wantInput := map[string]any{"mageflow_results": map[string]any{"answer": 42.0}, "channel": "ok"}
	if got := cb.GetRun().GetLastInput().AsMap(); !reflect.DeepEqual(got, wantInput) {
		t.Fatalf("callback input %v, want %v", got, wantInput)
	}

	// Suspend and resume another one.
	other, err := c.Sign(ctx, "scenario.other."+tag, map[string]any{"y": 2})
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Suspend(ctx, other.GetKey())
	if err != nil || s.GetTaskStatus().GetStatus() != mageflow.StatusSuspended || s.GetTaskStatus().GetLastStatus() != mageflow.StatusPending {
		t.Fatalf("Suspend: %v %v", s, err)
	}
	s, err = c.Resume(ctx, other.GetKey())
	if err != nil || s.GetTaskStatus().GetStatus() != mageflow.StatusPending || s.GetTaskStatus().GetLastStatus() != mageflow.StatusSuspended {
		t.Fatalf("Resume: %v %v", s, err)
	}

	// A lock conflict, and its reason.
	func() {
		lease, err := c.Lock(ctx, other.GetKey(), 30*time.Second, "scenario")
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := lease.Unlock(ctx); err != nil {
				t.Errorf("Unlock: %v", err)
			}
		}()
		_, err = c.Lock(ctx, other.GetKey(), 5*time.Second, "intruder")
		var e *mageflow.Error
		if !errors.As(err, &e) || e.Code != codes.Aborted || e.Reason != mageflow.ReasonSignatureLocked || e.Domain != mageflow.ErrorDomain || e.Metadata["expire_time"] == "" {
			t.Fatalf("want ABORTED SIGNATURE_LOCKED with expire_time, got %#v", err)
		}
		if _, err := c.Suspend(ctx, other.GetKey()); !errors.Is(err, mageflow.ErrSignatureLocked) {
			t.Fatalf("Suspend without the lock id: want SIGNATURE_LOCKED, got %v", err)
		}
		if s, err := c.Suspend(ctx, other.GetKey(), mageflow.WithLockID(lease.LockID)); err != nil || s.GetTaskStatus().GetStatus() != mageflow.StatusSuspended {
			t.Fatalf("Suspend with the lock id: %v %v", s, err)
		}
	}()
	lease2, err := c.Lock(ctx, other.GetKey(), 5*time.Second, "next")
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	if err := lease2.Unlock(ctx); err != nil {
		t.Fatal(err)
	}

	if _, err := c.LoadSignature(ctx, "TaskSignature:00000000-0000-4000-8000-000000000000"); !errors.Is(err, mageflow.ErrSignatureNotFound) {
		t.Fatalf("want SIGNATURE_NOT_FOUND, got %v", err)
	}
}
