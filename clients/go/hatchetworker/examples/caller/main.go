// A caller: signs go-add with a success and an error callback, runs it and waits for the outcome
// (docs/clients/hatchet-go.md). Needs the service (MAGEFLOW_SERVER) and the example worker.
//
//	go run ./examples/caller
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	mageflow "mageflow.dev/signatures/clients/go"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client, err := mageflow.Dial(ctx, "") // MAGEFLOW_SERVER, MAGEFLOW_TOKEN
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	onSuccess, err := client.Asign(ctx, "go-record", map[string]any{"note": "added"})
	if err != nil {
		log.Fatal(err)
	}
	onError, err := client.Asign(ctx, "go-record", map[string]any{"note": "failed"})
	if err != nil {
		log.Fatal(err)
	}
	add, err := client.Asign(ctx, "go-add", nil,
		mageflow.WithSuccessCallbacks(onSuccess.GetKey()), mageflow.WithErrorCallbacks(onError.GetKey()))
	if err != nil {
		log.Fatal(err)
	}
	run, err := client.RunNoWait(ctx, add.GetKey(), map[string]any{"a": 2, "b": 3})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("dispatched", add.GetKey(), run.DispatchState, run.RunID)

	for {
		sig, err := client.LoadSignature(ctx, add.GetKey())
		if err != nil {
			log.Fatal(err)
		}
		if status := sig.GetTaskStatus().GetStatus(); status == mageflow.StatusDone || status == mageflow.StatusFailed {
			fmt.Println(status, sig.GetRun().GetResult().AsInterface())
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for {
		cb, err := client.LoadSignature(ctx, onSuccess.GetKey())
		if err != nil {
			log.Fatal(err)
		}
		if cb.GetTaskStatus().GetStatus() == mageflow.StatusDone {
			fmt.Println("success callback got", cb.GetRun().GetLastInput().AsMap())
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}
