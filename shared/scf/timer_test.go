package scf

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
)

func TestTimerHandler(t *testing.T) {
	t.Parallel()
	runs := 0
	h := &TimerHandler{Name: "t", Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Run: func(context.Context) (any, error) {
		runs++
		return map[string]int{"done": runs}, nil
	}}
	out, err := h.Invoke(context.Background(), []byte(`{"Type":"Timer","TriggerName":"every-minute","Time":"2026-10-15T00:01:00Z","Message":""}`))
	if err != nil || string(out) != `{"done":1}` {
		t.Fatalf("%s %v", out, err)
	}
	// A malformed or foreign event can never succeed: answered, not retried, job not run.
	for _, bad := range []string{`{`, `{"Type":"Cos"}`} {
		if _, err := h.Invoke(context.Background(), []byte(bad)); err != nil || runs != 1 {
			t.Fatalf("%s: %v, runs %d", bad, err, runs)
		}
	}
	// A failing job returns an error so SCF retries the call.
	h.Run = func(context.Context) (any, error) { return nil, errors.New("db down") }
	if _, err := h.Invoke(context.Background(), nil); err == nil {
		t.Fatal("failure swallowed")
	}
}
