package scf

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"cloudmarket/shared/observe"
)

// KafkaEvent is a CKafka trigger batch.
type KafkaEvent struct {
	Records []KafkaRecord `json:"Records"`
}

// KafkaRecord is one message of a batch.
type KafkaRecord struct {
	Ckafka struct {
		Topic     string `json:"topic"`
		Partition int32  `json:"partition"`
		Offset    int64  `json:"offset"`
		MsgKey    string `json:"msgKey"`
		MsgBody   string `json:"msgBody"`
	} `json:"Ckafka"`
}

// KafkaHandler applies each record of a batch. A record that can never
// succeed (Permanent says so) is handed to Dead and the batch goes on; any
// other error fails the batch so the trigger delivers it again, which is safe
// because Apply is idempotent.
type KafkaHandler struct {
	Name      string
	Apply     func(ctx context.Context, key, body []byte) error
	Permanent func(error) bool
	Dead      func(ctx context.Context, r KafkaRecord, reason error) error
	Log       *slog.Logger
	// Now is the real clock the lag is measured with; nil: time.Now.
	Now func() time.Time
}

func (h *KafkaHandler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// queueLag is how long a record waited in the queue: from the queuedAt its
// producer stamped (shared/operation) to now.
func queueLag(r KafkaRecord, now time.Time) (time.Duration, bool) {
	var stamp struct {
		QueuedAt time.Time `json:"queuedAt"`
	}
	if json.Unmarshal([]byte(r.Ckafka.MsgBody), &stamp) != nil || stamp.QueuedAt.IsZero() {
		return 0, false
	}
	return now.Sub(stamp.QueuedAt), true
}

// KafkaReport is what one batch did.
type KafkaReport struct {
	Applied int `json:"applied"`
	Dead    int `json:"dead"`
}

// Invoke implements cloudfunction.Handler. A panic while applying is logged
// with its stack and fails the batch, so the trigger delivers it again.
func (h *KafkaHandler) Invoke(ctx context.Context, payload []byte) (out []byte, err error) {
	ctx = invocation(ctx)
	defer recovered(ctx, h.Log, "consumer", h.Name, &out, &err)
	var ev KafkaEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		h.Log.ErrorContext(ctx, "queue: unreadable batch", "consumer", h.Name, "err", err)
		return json.Marshal(map[string]string{"error": "unreadable CKafka event"})
	}
	var rep KafkaReport
	defer func() {
		observe.Metric(ctx, h.Log, "queue.applied", float64(rep.Applied), "count", "consumer", h.Name)
		observe.Metric(ctx, h.Log, "queue.dead", float64(rep.Dead), "count", "consumer", h.Name)
	}()
	for _, r := range ev.Records {
		if lag, ok := queueLag(r, h.now()); ok {
			observe.Metric(ctx, h.Log, "queue.lag", observe.Millis(lag), "ms", "consumer", h.Name, "topic", r.Ckafka.Topic)
		}
		err := h.Apply(ctx, []byte(r.Ckafka.MsgKey), []byte(r.Ckafka.MsgBody))
		switch {
		case err == nil:
			rep.Applied++
		case h.Permanent(err):
			h.Log.ErrorContext(ctx, "queue: dead letter", "consumer", h.Name, "topic", r.Ckafka.Topic, "offset", r.Ckafka.Offset, "err", err)
			if derr := h.Dead(ctx, r, err); derr != nil {
				return nil, fmt.Errorf("record dead letter: %w", derr)
			}
			rep.Dead++
		default:
			h.Log.WarnContext(ctx, "queue: batch failed, will be redelivered", "consumer", h.Name, "offset", r.Ckafka.Offset, "err", err)
			return nil, err
		}
	}
	return json.Marshal(rep)
}
