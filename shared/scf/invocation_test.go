package scf

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tencentyun/scf-go-lib/functioncontext"

	"cloudmarket/shared/observe"
)

// A batch's lines carry SCF's request ID; each record's wait in the queue is
// a queue.lag metric (from the queuedAt its producer stamped), and the batch
// ends with its applied and dead counts.
func TestConsumerReportsQueueLag(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	h := &KafkaHandler{Name: "apply-payment", Log: slog.New(observe.NewHandler(slog.NewJSONHandler(&buf, nil))),
		Now:       func() time.Time { return now },
		Apply:     func(context.Context, []byte, []byte) error { return nil },
		Permanent: func(error) bool { return false },
	}
	body := `{"transactionId":"t1","queuedAt":"` + now.Add(-1500*time.Millisecond).Format(time.RFC3339Nano) + `"}`
	batch, _ := json.Marshal(map[string]any{"Records": []any{
		map[string]any{"Ckafka": map[string]any{"topic": "payment-events", "offset": 1, "msgKey": "t1", "msgBody": body}},
		map[string]any{"Ckafka": map[string]any{"topic": "payment-events", "offset": 2, "msgKey": "t2", "msgBody": `{"transactionId":"t2"}`}},
	}})
	ctx := functioncontext.NewContext(context.Background(), &functioncontext.FunctionContext{RequestID: "scf-batch-1"})
	if out, err := h.Invoke(ctx, batch); err != nil || string(out) != `{"applied":2,"dead":0}` {
		t.Fatalf("%s %v", out, err)
	}
	var metrics []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		if m["requestId"] != "scf-batch-1" {
			t.Errorf("a line without SCF's request ID: %v", m)
		}
		metrics = append(metrics, m)
	}
	// The record without queuedAt has no lag to report.
	if len(metrics) != 3 || metrics[0]["metric"] != "queue.lag" || metrics[0]["value"] != 1500.0 || metrics[0]["topic"] != "payment-events" ||
		metrics[1]["metric"] != "queue.applied" || metrics[1]["value"] != 2.0 || metrics[2]["metric"] != "queue.dead" {
		t.Errorf("%v", metrics)
	}
}
