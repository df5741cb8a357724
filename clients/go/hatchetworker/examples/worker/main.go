// A Hatchet worker whose tasks report to the MageFlow Signature Service (docs/clients/hatchet-go.md).
//
// Run it with the engine's settings (HATCHET_CLIENT_TOKEN, HATCHET_CLIENT_HOST_PORT,
// HATCHET_CLIENT_TLS_STRATEGY, ...) and the service's gRPC address in MAGEFLOW_SERVER (default
// 127.0.0.1:50051):
//
//	go run ./examples/worker
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hatchet-dev/hatchet/pkg/worker"
	hatchet "github.com/hatchet-dev/hatchet/sdks/go"

	mageflow "mageflow.dev/signatures/clients/go"
	"mageflow.dev/signatures/clients/go/hatchetworker"
)

type AddInput struct {
	A int `json:"a"`
	B int `json:"b"`
}

type AddOutput struct {
	Sum int `json:"sum"`
}

func add(ctx hatchet.Context, in AddInput) (*AddOutput, error) {
	fmt.Printf("ran go-add %s\n", ctx.AdditionalMetadata()[hatchetworker.TaskIDMetadata])
	return &AddOutput{Sum: in.A + in.B}, nil
}

// record returns what it received, e.g. a callback's mageflow_results or mageflow_error.
func record(ctx hatchet.Context, in map[string]any) (map[string]any, error) {
	return in, nil
}

func flaky(ctx hatchet.Context, in map[string]any) (map[string]any, error) {
	if in["fatal"] == true {
		return nil, worker.NewNonRetryableError(errors.New("cannot work with this input")) // final at once
	}
	return nil, fmt.Errorf("attempt %d failed", ctx.RetryCount()+1) // final on the last of 3 attempts
}

// block runs until its run is cancelled (an interrupt); the cancellation is not reported.
func block(ctx hatchet.Context, in map[string]any) (map[string]any, error) {
	key := ctx.AdditionalMetadata()[hatchetworker.TaskIDMetadata]
	fmt.Printf("blocking %s\n", key)
	select {
	case <-ctx.Done():
		fmt.Printf("cancelled %s\n", key)
		return nil, ctx.Err()
	case <-time.After(5 * time.Minute):
		return map[string]any{}, nil
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	reporter, err := mageflow.Dial(ctx, "") // MAGEFLOW_SERVER, MAGEFLOW_TOKEN
	if err != nil {
		log.Fatalf("mageflow: %v", err)
	}
	defer reporter.Close()

	client, err := hatchet.NewClient()
	if err != nil {
		log.Fatalf("hatchet: %v", err)
	}

	flakyOpts := hatchetworker.Options{Retries: 2} // the same number goes to hatchet.WithRetries
	tasks := []hatchet.WorkflowBase{
		client.NewStandaloneTask("go-add", hatchetworker.Wrap(reporter, add, hatchetworker.Options{})),
		client.NewStandaloneTask("go-record", hatchetworker.Wrap(reporter, record, hatchetworker.Options{})),
		client.NewStandaloneTask("go-flaky", hatchetworker.Wrap(reporter, flaky, flakyOpts), hatchet.WithRetries(flakyOpts.Retries)),
		client.NewStandaloneTask("go-block", hatchetworker.Wrap(reporter, block, hatchetworker.Options{}), hatchet.WithExecutionTimeout(5*time.Minute)),
	}
	w, err := client.NewWorker("go-signatures", hatchet.WithWorkflows(tasks...), hatchet.WithSlots(1))
	if err != nil {
		log.Fatalf("hatchet worker: %v", err)
	}
	if err := w.StartBlocking(ctx); err != nil {
		log.Fatalf("hatchet worker: %v", err)
	}
}
