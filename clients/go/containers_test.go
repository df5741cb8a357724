package mageflow_test

import (
	"context"
	"strings"
	"testing"

	mageflow "mageflow.dev/signatures/clients/go"
)

// Chain, Swarm, AddSwarmTasks, CloseSwarm and LoadContainer against a live server (docs/containers.md).
func TestContainersLive(t *testing.T) {
	c := dial(t, startServer(t))
	ctx := context.Background()
	sign := func(name string) string {
		s, err := c.Sign(ctx, name, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s.GetKey()
	}
	a, b := sign("fetch"), sign("store")
	chain, err := c.Chain(ctx, []string{a, b}, mageflow.ContainerOptions{Name: "pipeline", Kwargs: map[string]any{"tenant": "t1"}})
	if err != nil {
		t.Fatal(err)
	}
	if chain.GetSignature().GetTaskName() != "chain-task:pipeline" || chain.GetChildCount() != 2 {
		t.Fatalf("chain: %v", chain)
	}
	step, err := c.LoadSignature(ctx, a)
	if err != nil || step.GetContainerKey() != chain.GetSignature().GetKey() || step.GetKwargs().AsMap()["tenant"] != "t1" {
		t.Fatalf("step: %v %v", step, err)
	}
	swarm, err := c.Swarm(ctx, []string{sign("s1")}, &mageflow.SwarmConfig{MaxConcurrency: 2}, mageflow.ContainerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	key := swarm.GetSignature().GetKey()
	if _, err := c.AddSwarmTasks(ctx, key, []string{sign("s2")}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CloseSwarm(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddSwarmTasks(ctx, key, []string{sign("s3")}, false); err == nil || !strings.Contains(err.Error(), "SWARM_CLOSED") {
		t.Fatalf("a closed swarm took a task: %v", err)
	}
	got, err := c.LoadContainer(ctx, key)
	if err != nil || !got.GetClosed() || got.GetSummary().GetPending() != 2 {
		t.Fatalf("container: %v %v", got, err)
	}
}

// ChainOf, SwarmOf and AddSwarmTasksOf create inline children in the same step as their container.
func TestInlineContainerTasksLive(t *testing.T) {
	c := dial(t, startServer(t))
	ctx := context.Background()
	inline := func(name string, kwargs map[string]any) *mageflow.ContainerTask {
		task, err := mageflow.InlineTask(name, kwargs)
		if err != nil {
			t.Fatal(err)
		}
		return task
	}
	existing, err := c.Sign(ctx, "fetch", nil)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := c.ChainOf(ctx, []*mageflow.ContainerTask{mageflow.ExistingTask(existing.GetKey()), inline("store", map[string]any{"table": "t"})}, mageflow.ContainerOptions{Kwargs: map[string]any{"tenant": "t1"}})
	if err != nil {
		t.Fatal(err)
	}
	step, err := c.LoadSignature(ctx, chain.GetChildKeys()[1])
	if err != nil || step.GetTaskName() != "store" || step.GetContainerKey() != chain.GetSignature().GetKey() {
		t.Fatalf("inline step: %v %v", step, err)
	}
	if kw := step.GetKwargs().AsMap(); kw["table"] != "t" || kw["tenant"] != "t1" {
		t.Fatalf("inline step kwargs: %v", kw)
	}
	swarm, err := c.SwarmOf(ctx, []*mageflow.ContainerTask{inline("child", map[string]any{"i": 0})}, &mageflow.SwarmConfig{MaxConcurrency: 2}, mageflow.ContainerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	more, err := c.AddSwarmTasksOf(ctx, swarm.GetSignature().GetKey(), []*mageflow.ContainerTask{inline("child", map[string]any{"i": 1})}, true)
	if err != nil || more.GetChildCount() != 2 || !more.GetClosed() {
		t.Fatalf("added: %v %v", more, err)
	}
	if _, err := c.ChainOf(ctx, []*mageflow.ContainerTask{inline("only-one", nil)}, mageflow.ContainerOptions{}); err == nil || !strings.Contains(err.Error(), "InvalidArgument") && !strings.Contains(err.Error(), "INVALID_ARGUMENT") {
		t.Fatalf("a chain of one step: %v", err)
	}
}
