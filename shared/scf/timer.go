// Package scf holds the non-HTTP trigger adapters: our own event types (the
// scf-go-lib ones are frozen and miss fields) and handlers that implement
// cloudfunction.Handler.
package scf

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"time"

	"cloudmarket/shared/observe"
)

// TimerEvent is what an SCF timer trigger sends.
type TimerEvent struct {
	Type        string `json:"Type"`        // "Timer"
	TriggerName string `json:"TriggerName"` // the trigger's name in serverless.yml
	Time        string `json:"Time"`        // RFC 3339, UTC
	Message     string `json:"Message"`     // the trigger's argument
}

// TimerHandler runs a timer job. A returned error makes SCF retry the
// asynchronous call, so every job is idempotent and safe to run late.
type TimerHandler struct {
	Name string
	Run  func(ctx context.Context) (any, error)
	Log  *slog.Logger
}

// Invoke implements cloudfunction.Handler. A panic in the job is logged
// with its stack and returned as an error, so SCF retries the call.
func (h *TimerHandler) Invoke(ctx context.Context, payload []byte) (out []byte, err error) {
	ctx = invocation(ctx)
	defer recovered(ctx, h.Log, "timer", h.Name, &out, &err)
	var ev TimerEvent
	if len(payload) > 0 {
		if err := json.Unmarshal(payload, &ev); err != nil {
			// A malformed event can never succeed: report, do not ask for retries.
			h.Log.ErrorContext(ctx, "timer: unreadable event", "timer", h.Name, "err", err)
			return json.Marshal(map[string]string{"error": "unreadable timer event"})
		}
	}
	if ev.Type != "" && ev.Type != "Timer" {
		h.Log.ErrorContext(ctx, "timer: not a timer event", "timer", h.Name, "type", ev.Type)
		return json.Marshal(map[string]string{"error": fmt.Sprintf("not a timer event: %q", ev.Type)})
	}
	start := time.Now()
	res, err := h.Run(ctx)
	observe.Metric(ctx, h.Log, "timer.run", observe.Millis(time.Since(start)), "ms", "timer", h.Name, "ok", strconv.FormatBool(err == nil))
	if err != nil {
		h.Log.ErrorContext(ctx, "timer: run failed, will be retried", "timer", h.Name, "err", err)
		return nil, err
	}
	h.Log.InfoContext(ctx, "timer: done", "timer", h.Name, "result", res)
	return json.Marshal(res)
}

// recovered turns a panic of a trigger handler into a logged error: the
// runtime would otherwise lose the process, and SCF retries an error.
// key names the handler in the log line ("timer", "consumer").
func recovered(ctx context.Context, log *slog.Logger, key, name string, out *[]byte, err *error) {
	if p := recover(); p != nil {
		log.ErrorContext(ctx, "panic, will be retried", key, name, "panic", p, "stack", string(debug.Stack()))
		*out, *err = nil, fmt.Errorf("%s %s: panic: %v", key, name, p)
	}
}
