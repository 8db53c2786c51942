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

	"cloudmarket/shared/clock"
	"cloudmarket/shared/market"
	"cloudmarket/shared/operation"
	"cloudmarket/shared/queue"
	"cloudmarket/shared/scf"
	"cloudmarket/shared/store"
)

// DeadLetterSuffix names a topic's dead-letter topic.
const DeadLetterSuffix = "-dlq"

// startKafka runs the in-process Kafka cluster (kfake) that stands in for
// CKafka; dataDir "" keeps it in memory.
func startKafka(dataDir string) (*kfake.Cluster, error) {
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(2, operation.PaymentTopic, operation.PaymentTopic+DeadLetterSuffix),
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

// consumer delivers a topic to a consumer function as CKafka does: batches of
// records as the CKafka trigger event, offsets committed only after the
// function succeeded. A batch that keeps failing is retried record by record;
// a record that still fails goes to the dead-letter topic and is recorded, so
// it never blocks its partition.
type consumer struct {
	name    string
	topic   string
	batch   int // records per invocation at most
	brokers []string
	handler cloudfunction.Handler
	retries int
	dlq     *queue.Producer
	store   *store.Store
	clock   clock.Clock
	log     *slog.Logger
	// crash, when set, is asked after each successful batch whether to die
	// before committing (fault injection in tests).
	crash func() bool
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

// invoke calls the function up to 1+retries times.
func (c *consumer) invoke(ctx context.Context, records []*kgo.Record) error {
	var err error
	for attempt := 0; attempt <= c.retries && ctx.Err() == nil; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 50 * time.Millisecond)
		}
		if _, err = c.handler.Invoke(ctx, c.event(records)); err == nil {
			return nil
		}
	}
	return err
}

func (c *consumer) deliver(ctx context.Context, records []*kgo.Record) {
	if err := c.invoke(ctx, records); err == nil || len(records) == 1 {
		if err != nil {
			c.deadLetter(ctx, records[0], err)
		}
		return
	}
	for _, r := range records { // find the record that fails
		if err := c.invoke(ctx, []*kgo.Record{r}); err != nil {
			c.deadLetter(ctx, r, err)
		}
	}
}

func (c *consumer) deadLetter(ctx context.Context, r *kgo.Record, reason error) {
	c.log.Error("queue: moved to the dead-letter topic", "consumer", c.name, "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "err", reason)
	if err := c.dlq.Publish(ctx, r.Topic+DeadLetterSuffix, string(r.Key), r.Value); err != nil {
		c.log.Error("queue: dead-letter topic", "err", err)
	}
	if err := c.store.RecordDeadLetter(ctx, market.DeadLetter{
		ID: fmt.Sprintf("%s-%d-%d", r.Topic, r.Partition, r.Offset), Topic: r.Topic, Key: string(r.Key), Body: string(r.Value),
		Reason: reason.Error(), Attempts: c.retries + 1, At: c.clock.Now(),
	}); err != nil {
		c.log.Error("queue: record dead letter", "err", err)
	}
}
