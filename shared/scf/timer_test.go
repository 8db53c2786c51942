package scf

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
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

// A panicking job or consumer is an error (SCF retries), logged with its stack.
func TestHandlersRecoverPanics(t *testing.T) {
	t.Parallel()
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	timer := &TimerHandler{Name: "t", Log: log, Run: func(context.Context) (any, error) { panic("boom") }}
	if out, err := timer.Invoke(context.Background(), nil); err == nil || out != nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("timer: %s %v", out, err)
	}
	consumer := &KafkaHandler{Name: "c", Log: log, Permanent: func(error) bool { return false },
		Apply: func(context.Context, []byte, []byte) error { var m map[string]int; m["x"]++; return nil }}
	batch := `{"Records":[{"Ckafka":{"topic":"t","partition":0,"offset":1,"msgKey":"k","msgBody":"{}"}}]}`
	if out, err := consumer.Invoke(context.Background(), []byte(batch)); err == nil || out != nil {
		t.Fatalf("consumer: %s %v", out, err)
	}
	if n := strings.Count(logged.String(), "stack="); n != 2 || !strings.Contains(logged.String(), "timer_test.go") {
		t.Fatalf("%d stacks logged:\n%s", n, logged.String())
	}
}
