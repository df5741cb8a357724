package mageflow

import (
	"context"

	"google.golang.org/protobuf/types/known/structpb"
	mageflowv1 "mageflow.dev/signatures/clients/go/gen/mageflow/v1"
)

// Container is a chain or a swarm (docs/containers.md).
type Container = mageflowv1.Container

// SwarmConfig says how a swarm runs its children.
type SwarmConfig = mageflowv1.SwarmConfig

// ContainerOptions are the options of Chain and Swarm.
type ContainerOptions struct {
	// Name gives the task name chain-task:<name> or swarm-task:<name>.
	Name string
	// Kwargs are merged into every child's kwargs (the container's win).
	Kwargs map[string]any
	// SuccessCallbacks and ErrorCallbacks are keys of existing signatures.
	SuccessCallbacks, ErrorCallbacks []string
	// Close creates a swarm closed (no more tasks).
	Close bool
}

// ContainerTask is one child of a new chain or swarm: an existing signature (ExistingTask) or one created
// with its container in the same step (InlineTask).
type ContainerTask = mageflowv1.ContainerTask

// ExistingTask is the existing signature under key as a child.
func ExistingTask(key string) *ContainerTask {
	return &mageflowv1.ContainerTask{Source: &mageflowv1.ContainerTask_Key{Key: key}}
}

// InlineTask is a signature created together with its chain or swarm, with Sign's arguments.
func InlineTask(taskName string, kwargs map[string]any, opts ...SignOption) (*ContainerTask, error) {
	req, err := signRequest(taskName, kwargs, opts)
	if err != nil {
		return nil, err
	}
	return &mageflowv1.ContainerTask{Source: &mageflowv1.ContainerTask_Signature{Signature: req}}, nil
}

func childTasks(keys []string) []*ContainerTask {
	out := make([]*ContainerTask, len(keys))
	for i, k := range keys {
		out[i] = ExistingTask(k)
	}
	return out
}

func kwargsStruct(m map[string]any) (*structpb.Struct, error) {
	if m == nil {
		return nil, nil
	}
	return structpb.NewStruct(m)
}

// Chain creates a chain of existing signatures run one after another (MageFlow's chain); run it with RunNoWait.
func (c *Client) Chain(ctx context.Context, keys []string, o ContainerOptions) (*Container, error) {
	return c.ChainOf(ctx, childTasks(keys), o)
}

// ChainOf is Chain with each step an existing signature or an InlineTask.
func (c *Client) ChainOf(ctx context.Context, tasks []*ContainerTask, o ContainerOptions) (*Container, error) {
	kw, err := kwargsStruct(o.Kwargs)
	if err != nil {
		return nil, err
	}
	resp, err := call(c, ctx, c.ctr.CreateChain, &mageflowv1.CreateChainRequest{
		Tasks: tasks, Name: o.Name, Kwargs: kw, SuccessCallbacks: o.SuccessCallbacks, ErrorCallbacks: o.ErrorCallbacks,
	})
	if err != nil {
		return nil, err
	}
	return resp.GetChain(), nil
}

// Swarm creates a swarm of existing signatures run in parallel under config (MageFlow's swarm).
func (c *Client) Swarm(ctx context.Context, keys []string, config *SwarmConfig, o ContainerOptions) (*Container, error) {
	return c.SwarmOf(ctx, childTasks(keys), config, o)
}

// SwarmOf is Swarm with each child an existing signature or an InlineTask.
func (c *Client) SwarmOf(ctx context.Context, tasks []*ContainerTask, config *SwarmConfig, o ContainerOptions) (*Container, error) {
	kw, err := kwargsStruct(o.Kwargs)
	if err != nil {
		return nil, err
	}
	resp, err := call(c, ctx, c.ctr.CreateSwarm, &mageflowv1.CreateSwarmRequest{
		Tasks: tasks, Name: o.Name, Kwargs: kw, Config: config, SuccessCallbacks: o.SuccessCallbacks, ErrorCallbacks: o.ErrorCallbacks, Close: o.Close,
	})
	if err != nil {
		return nil, err
	}
	return resp.GetSwarm(), nil
}

// AddSwarmTasks adds children to an open swarm (MageFlow's add_tasks); close closes it in the same step.
func (c *Client) AddSwarmTasks(ctx context.Context, swarm string, keys []string, close bool) (*Container, error) {
	return c.AddSwarmTasksOf(ctx, swarm, childTasks(keys), close)
}

// AddSwarmTasksOf is AddSwarmTasks with each child an existing signature or an InlineTask.
func (c *Client) AddSwarmTasksOf(ctx context.Context, swarm string, tasks []*ContainerTask, close bool) (*Container, error) {
	resp, err := call(c, ctx, c.ctr.AddSwarmTasks, &mageflowv1.AddSwarmTasksRequest{Key: swarm, Tasks: tasks, Close: close})
	if err != nil {
		return nil, err
	}
	return resp.GetSwarm(), nil
}

// CloseSwarm closes a swarm: it ends once every child has ended.
func (c *Client) CloseSwarm(ctx context.Context, swarm string) (*Container, error) {
	resp, err := call(c, ctx, c.ctr.CloseSwarm, &mageflowv1.CloseSwarmRequest{Key: swarm})
	if err != nil {
		return nil, err
	}
	return resp.GetSwarm(), nil
}

// LoadContainer returns a chain or swarm with its children counted by status.
func (c *Client) LoadContainer(ctx context.Context, key string) (*Container, error) {
	resp, err := call(c, ctx, c.ctr.GetContainer, &mageflowv1.GetContainerRequest{Key: key})
	if err != nil {
		return nil, err
	}
	return resp.GetContainer(), nil
}
