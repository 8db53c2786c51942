package scf

import (
	"context"

	"github.com/tencentyun/scf-go-lib/functioncontext"

	"cloudmarket/shared/observe"
)

// invocation puts SCF's request ID of this invocation into ctx, so every log
// line of a timer run or a batch carries it.
func invocation(ctx context.Context) context.Context {
	if fc, ok := functioncontext.FromContext(ctx); ok && fc.RequestID != "" {
		return observe.WithRequestID(ctx, fc.RequestID)
	}
	return ctx
}
