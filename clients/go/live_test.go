package mageflow_test

// The live server of the scenario tests (scenario_test.go), started as
// `tsx src/main.ts serve --port 0 --http-port 0` in the repository root (embedded in-memory store,
// recording dispatcher).

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
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
