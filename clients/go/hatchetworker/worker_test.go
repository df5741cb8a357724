package hatchetworker

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/hatchet-dev/hatchet/pkg/worker"
)

func TestErrorTypeNamesTheFirstTypedErrorInTheChain(t *testing.T) {
	pathErr := &fs.PathError{Op: "open", Path: "x", Err: fs.ErrNotExist}
	cases := map[string]error{
		"error":             errors.New("plain"),
		"*fs.PathError":     fmt.Errorf("loading: %w", pathErr),
		"NonRetryableError": worker.NewNonRetryableError(errors.New("bad input")),
	}
	for want, err := range cases {
		if got := errorType(err); got != want {
			t.Errorf("errorType(%v) = %q, want %q", err, got, want)
		}
	}
}

func TestToJSONValueUsesJSONTags(t *testing.T) {
	type out struct {
		Sum  int    `json:"sum"`
		Note string `json:"note,omitempty"`
	}
	v, err := toJSONValue(&out{Sum: 5})
	if err != nil {
		t.Fatal(err)
	}
	m, ok := v.(map[string]any)
	if !ok || m["sum"] != float64(5) || len(m) != 1 {
		t.Fatalf("toJSONValue = %#v", v)
	}
	if _, err := toJSONValue(func() {}); err == nil {
		t.Fatal("a func is not JSON: want an error")
	}
}
