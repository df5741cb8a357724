package hatchetworker

import (
	"os"
	"strings"
	"testing"
)

// The page shows the example worker and caller as they are in the repository.
func TestDocsShowTheExamples(t *testing.T) {
	page, err := os.ReadFile("../../../docs/clients/hatchet-go.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, example := range []string{"examples/worker/main.go", "examples/caller/main.go"} {
		code, err := os.ReadFile(example)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(page), "```go\n"+string(code)+"```\n") {
			t.Errorf("docs/clients/hatchet-go.md does not show %s as it is", example)
		}
	}
}
