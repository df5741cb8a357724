// Package hatchetworker wraps Hatchet Go SDK task functions (github.com/hatchet-dev/hatchet/sdks/go) so
// their runs are reported to the MageFlow Signature Service: StartTask before the function (SKIP: it does
// not run), then CompleteTask with its result or FailTask with its error, final when Hatchet will not retry.
// Cancelled runs are not reported; runs without `task_id` metadata run unreported. The contract is in
// docs/hatchet.md.
//
// It is its own module so that the plain client (mageflow.dev/signatures/clients/go) does not pull the
// Hatchet SDK.
package hatchetworker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hatchet-dev/hatchet/pkg/worker"
	hatchet "github.com/hatchet-dev/hatchet/sdks/go"

	mageflow "mageflow.dev/signatures/clients/go"
)

// TaskIDMetadata is the run metadata key that carries the signature key (the service sets it on every
// run it starts).
const TaskIDMetadata = "task_id"

// Reporter is the worker side of the service; *mageflow.Client is one.
type Reporter interface {
	StartTask(ctx context.Context, key, runID string, attempt int32, opts ...mageflow.MutateOption) (*mageflow.StartResult, error)
	CompleteTask(ctx context.Context, key, runID string, result any, opts ...mageflow.MutateOption) (*mageflow.Signature, []string, error)
	FailTask(ctx context.Context, key, runID string, e mageflow.TaskError, opts ...mageflow.MutateOption) (*mageflow.Signature, []string, error)
}

// Options tell the wrapper what it cannot read from the run.
type Options struct {
	// Retries is the value given to hatchet.WithRetries: the attempt with RetryCount() >= Retries is
	// reported final.
	Retries int
	// Logger receives skips and failed FailTask reports; nil: slog.Default().
	Logger *slog.Logger
}

// Wrap returns fn reporting to r; register the result with Hatchet as you would fn:
//
//	opts := hatchetworker.Options{Retries: 2}
//	client.NewStandaloneTask("resize", hatchetworker.Wrap(reporter, resize, opts), hatchet.WithRetries(opts.Retries))
//
// For each run:
//
//   - no `task_id` metadata: fn runs and nothing is reported;
//   - StartTask; on SKIP fn does not run and the zero O is returned with a nil error; if StartTask fails,
//     its error is returned (Hatchet retries the attempt if it has retries left);
//   - fn succeeds: CompleteTask with its output as JSON; if that call fails its error is returned, so
//     Hatchet retries and StartTask answers RUN again for the same run;
//   - fn fails: FailTask (final when RetryCount() >= Retries or the error is a Hatchet non-retryable
//     error, worker.NewNonRetryableError), then fn's error is returned; a failing FailTask is logged;
//   - the run was cancelled (the context is done when fn returns): nothing is reported.
func Wrap[I any, O any](r Reporter, fn func(ctx hatchet.Context, input I) (O, error), opts Options) func(ctx hatchet.Context, input I) (O, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	return func(ctx hatchet.Context, input I) (O, error) {
		var zero O
		key := ctx.AdditionalMetadata()[TaskIDMetadata]
		if key == "" {
			return fn(ctx, input)
		}
		runID := ctx.WorkflowRunId()
		retryCount := ctx.RetryCount()
		attempt := int32(retryCount + 1)

		start, err := r.StartTask(ctx, key, runID, attempt)
		if err != nil {
			return zero, fmt.Errorf("mageflow StartTask: %w", err)
		}
		if !start.Run {
			logger.Info("signature run skipped", "key", key, "run_id", runID, "reason", start.SkipReason)
			return zero, nil
		}

		out, fnErr := fn(ctx, input)
		if ctx.Err() != nil {
			return out, fnErr // cancelled at Hatchet: not reported
		}
		if fnErr != nil {
			final := retryCount >= opts.Retries || worker.IsNonRetryableError(fnErr)
			report := mageflow.TaskError{Message: fnErr.Error(), Type: errorType(fnErr), Attempt: attempt}
			var notFinal []mageflow.MutateOption
			if !final {
				notFinal = append(notFinal, mageflow.NotFinal())
			}
			if _, _, err := r.FailTask(context.WithoutCancel(ctx), key, runID, report, notFinal...); err != nil {
				logger.Warn("FailTask failed", "key", key, "run_id", runID, "error", err)
			}
			return out, fnErr
		}
		result, err := toJSONValue(out)
		if err != nil {
			return zero, err
		}
		if _, _, err := r.CompleteTask(ctx, key, runID, result); err != nil {
			return zero, fmt.Errorf("mageflow CompleteTask: %w", err)
		}
		return out, nil
	}
}

// errorType names an error for TaskError.Type: the Go type of the first error in its chain that is not
// a plain errors.New / fmt.Errorf value ("error" when all are).
func errorType(err error) string {
	var nonRetryable *worker.NonRetryableError
	if errors.As(err, &nonRetryable) {
		return "NonRetryableError"
	}
	for ; err != nil; err = errors.Unwrap(err) {
		switch t := fmt.Sprintf("%T", err); t {
		case "*errors.errorString", "*fmt.wrapError", "*fmt.wrapErrors":
		default:
			return t
		}
	}
	return "error"
}

// toJSONValue turns a task output into the plain JSON value CompleteTask carries (structs through
// their json tags).
func toJSONValue(out any) (any, error) {
	data, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("mageflow: task output is not JSON: %w", err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	return v, nil
}
