package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/tencentyun/scf-go-lib/cloudfunction"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"cloudmarket/shared/operation"
	"cloudmarket/shared/scf"
)

// startKafka runs the in-process Kafka cluster (kfake) that stands in for
// CKafka; dataDir "" keeps it in memory.
func startKafka(dataDir string) (*kfake.Cluster, error) {
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(2, operation.PaymentTopic),
		kfake.AllowAutoTopicCreation(), kfake.GroupMinSessionTimeout(time.Second)}
	if dataDir != "" {
		opts = append(opts, kfake.DataDir(dataDir))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("emulator: kafka: %w", err)
	}
	return c, nil
}

// consumer delivers a topic to a consumer function as the CKafka trigger
// does: batches of records as the trigger event, delivered again up to
// retries times while the function fails, then skipped (CKafka has no
// dead-letter topic), offsets committed after. A skipped payment stays
// stored and unapplied, and the deadline timer produces it again.
type consumer struct {
	name    string
	topic   string
	batch   int // records per invocation at most
	brokers []string
	handler cloudfunction.Handler
	retries int
	log     *slog.Logger
	// crash, when set, is asked after each batch whether to die before
	// committing (fault injection in tests).
	crash func() bool
	// fail, when set, makes an invocation fail for a batch holding a record
	// with a key it names (fault injection in tests).
	fail func(key string) bool
}

func (c *consumer) run(ctx context.Context) {
	for ctx.Err() == nil {
		client, err := kgo.NewClient(kgo.SeedBrokers(c.brokers...), kgo.ConsumerGroup("cloudmarket-"+c.name), kgo.ConsumeTopics(c.topic),
			kgo.DisableAutoCommit(), kgo.FetchMaxWait(50*time.Millisecond), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
			kgo.SessionTimeout(6*time.Second), kgo.HeartbeatInterval(500*time.Millisecond))
		if err != nil {
			c.log.Error("queue: consumer", "consumer", c.name, "err", err)
			return
		}
		c.consume(ctx, client)
		client.Close()
	}
}

// consume polls until ctx ends or an injected crash; it returns to start over
// with a new client, which resumes from the last committed offsets.
func (c *consumer) consume(ctx context.Context, client *kgo.Client) {
	for ctx.Err() == nil {
		fetches := client.PollRecords(ctx, c.batch)
		if ctx.Err() != nil {
			return
		}
		var done []*kgo.Record
		fetches.EachPartition(func(p kgo.FetchTopicPartition) {
			if len(p.Records) > 0 {
				c.deliver(ctx, p.Records)
				done = append(done, p.Records...)
			}
		})
		if len(done) == 0 {
			continue
		}
		if c.crash != nil && c.crash() {
			c.log.Warn("queue: injected crash before commit", "consumer", c.name, "records", len(done))
			return
		}
		if err := client.CommitRecords(ctx, done...); err != nil {
			c.log.Error("queue: commit", "consumer", c.name, "err", err)
			return
		}
	}
}

func (c *consumer) event(records []*kgo.Record) []byte {
	var ev scf.KafkaEvent
	for _, r := range records {
		var kr scf.KafkaRecord
		kr.Ckafka.Topic, kr.Ckafka.Partition, kr.Ckafka.Offset = r.Topic, r.Partition, r.Offset
		kr.Ckafka.MsgKey, kr.Ckafka.MsgBody = string(r.Key), string(r.Value)
		ev.Records = append(ev.Records, kr)
	}
	out, _ := json.Marshal(ev)
	return out
}

// invoke calls the function once with the batch.
func (c *consumer) invoke(ctx context.Context, records []*kgo.Record) error {
	if c.fail != nil {
		for _, r := range records {
			if c.fail(string(r.Key)) {
				return fmt.Errorf("injected failure for %s", r.Key)
			}
		}
	}
	_, err := c.handler.Invoke(ctx, c.event(records))
	return err
}

// deliver is the trigger's contract: the batch once, then up to retries
// more times while the function fails, then skipped. It returns how many
// invocations it made.
func (c *consumer) deliver(ctx context.Context, records []*kgo.Record) int {
	var err error
	attempts := 0
	for attempt := 0; attempt <= c.retries && ctx.Err() == nil; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 50 * time.Millisecond)
		}
		attempts++
		if err = c.invoke(ctx, records); err == nil {
			return attempts
		}
	}
	first, last := records[0], records[len(records)-1]
	c.log.Error("queue: batch skipped after the trigger's retries, as CKafka does; stored payments are re-driven by enforce-deadlines",
		"consumer", c.name, "topic", first.Topic, "partition", first.Partition, "from", first.Offset, "to", last.Offset, "attempts", attempts, "err", err)
	return attempts
}
