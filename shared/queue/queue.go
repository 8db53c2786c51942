// Package queue produces to Kafka with franz-go: CKafka in production
// (KAFKA_BROKERS), the in-process kfake cluster locally, same client code.
package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Producer publishes records synchronously: a notification is answered only
// once its record is acknowledged by the cluster.
type Producer struct{ client *kgo.Client }

// NewProducer connects to the brokers.
func NewProducer(brokers []string, opts ...kgo.Opt) (*Producer, error) {
	opts = append([]kgo.Opt{kgo.SeedBrokers(brokers...), kgo.AllowAutoTopicCreation(), kgo.ProduceRequestTimeout(10 * time.Second),
		kgo.RecordDeliveryTimeout(15 * time.Second)}, opts...)
	c, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	return &Producer{client: c}, nil
}

// Publish implements ops.Queue.
func (p *Producer) Publish(ctx context.Context, topic, key string, value []byte) error {
	if err := p.client.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: []byte(key), Value: value}).FirstErr(); err != nil {
		return fmt.Errorf("queue: produce to %s: %w", topic, err)
	}
	return nil
}

// Close flushes and disconnects.
func (p *Producer) Close() { p.client.Close() }
