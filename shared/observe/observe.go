// Package observe carries a request's ID through its context into every log
// line, and writes metrics as log lines: functions log JSON to stdout/stderr,
// which SCF ships to CLS, so one stream holds the access lines, the
// operations' own lines and the metrics, all joined by requestId.
//
// A metric line is a JSON log line with "msg":"metric", the metric's name in
// "metric", its number in "value", its unit in "unit" and its dimensions as
// further string fields, e.g.
//
//	{"time":"…","level":"INFO","msg":"metric","metric":"api.request","value":12.5,"unit":"ms","route":"POST /v1/orders","status":"201","function":"place-order","requestId":"…"}
//
// A CLS log-to-metric task (or any JSON log pipeline) turns these into
// Cloud Monitor metrics: count the lines for a rate, aggregate value for
// latency, group by the dimension fields.
package observe

import (
	"context"
	"log/slog"
	"time"
)

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request's ID.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID is the ID ctx carries, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// Handler adds the context's request ID to every record logged with a
// context (slog's …Context methods and LogAttrs).
type Handler struct{ inner slog.Handler }

// NewHandler wraps inner; wrapping a Handler again changes nothing.
func NewHandler(inner slog.Handler) slog.Handler {
	if h, ok := inner.(Handler); ok {
		return h
	}
	return Handler{inner: inner}
}

func (h Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

func (h Handler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r = r.Clone()
		r.AddAttrs(slog.String("requestId", id))
	}
	return h.inner.Handle(ctx, r)
}

func (h Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return Handler{inner: h.inner.WithAttrs(attrs)}
}

func (h Handler) WithGroup(name string) slog.Handler { return Handler{inner: h.inner.WithGroup(name)} }

// Metric writes one metric line. dims are name, value pairs.
func Metric(ctx context.Context, log *slog.Logger, name string, value float64, unit string, dims ...string) {
	attrs := make([]slog.Attr, 0, 3+len(dims)/2)
	attrs = append(attrs, slog.String("metric", name), slog.Float64("value", value), slog.String("unit", unit))
	for i := 0; i+1 < len(dims); i += 2 {
		attrs = append(attrs, slog.String(dims[i], dims[i+1]))
	}
	log.LogAttrs(ctx, slog.LevelInfo, "metric", attrs...)
}

// Millis is d in milliseconds, to a tenth.
func Millis(d time.Duration) float64 {
	return float64(d.Round(100*time.Microsecond).Microseconds()) / 1000
}
