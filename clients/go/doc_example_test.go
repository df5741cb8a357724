package mageflow_test

// The example of docs/clients/go.md, built as a user's program against this checkout and run verbatim
// twice in a row against a live server (the second run must not trip over what the first left behind).

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestDocExampleRunsTwice(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "clients", "go.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Example\n")
	m := regexp.MustCompile("(?s)```go\n(.*?)```").FindStringSubmatch(section)
	if !ok || m == nil {
		t.Fatal("no go block under '## Example' in docs/clients/go.md")
	}
	addr := startServer(t)
	dir := userProgram(t, []byte(m[1]), "v0.0.0", checkoutReplace(t))
	env := baseEnv("GOFLAGS=-mod=mod", "GOWORK=off", "MAGEFLOW_SERVER="+addr)
	goCmd(t, dir, env, "mod", "tidy")
	for run := 1; run <= 2; run++ {
		out := goCmd(t, dir, env, "run", ".")
		if !strings.Contains(out, "SIGNATURE_LOCKED") {
			t.Fatalf("run %d output:\n%s", run, out)
		}
	}
}
