package scf

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
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
}

// KafkaReport is what one batch did.
type KafkaReport struct {
	Applied int `json:"applied"`
	Dead    int `json:"dead"`
}

// Invoke implements cloudfunction.Handler. A panic while applying is logged
// with its stack and fails the batch, so the trigger delivers it again.
func (h *KafkaHandler) Invoke(ctx context.Context, payload []byte) (out []byte, err error) {
	defer recovered(h.Log, "consumer", h.Name, &out, &err)
	var ev KafkaEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		h.Log.Error("queue: unreadable batch", "consumer", h.Name, "err", err)
		return json.Marshal(map[string]string{"error": "unreadable CKafka event"})
	}
	var rep KafkaReport
	for _, r := range ev.Records {
		err := h.Apply(ctx, []byte(r.Ckafka.MsgKey), []byte(r.Ckafka.MsgBody))
		switch {
		case err == nil:
			rep.Applied++
		case h.Permanent(err):
			h.Log.Error("queue: dead letter", "consumer", h.Name, "topic", r.Ckafka.Topic, "offset", r.Ckafka.Offset, "err", err)
			if derr := h.Dead(ctx, r, err); derr != nil {
				return nil, fmt.Errorf("record dead letter: %w", derr)
			}
			rep.Dead++
		default:
			h.Log.Warn("queue: batch failed, will be redelivered", "consumer", h.Name, "offset", r.Ckafka.Offset, "err", err)
			return nil, err
		}
	}
	return json.Marshal(rep)
}
