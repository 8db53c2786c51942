package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"cloudmarket/shared/market"
	"cloudmarket/shared/notify"
	"cloudmarket/shared/objstore"
	"cloudmarket/shared/operation"
	"cloudmarket/shared/payments"
	"cloudmarket/shared/queue"
)

// Clients are the constructors of the outside-world clients a process may
// build; a nil one is never built. A function's main names only those its
// catalogue row needs, so its binary links no other SDK: the linker keeps a
// constructor, and the SDK behind it, only when something refers to it.
type Clients struct {
	Objects  func(*App) (operation.Objects, error)
	Sender   func(*App) (operation.Sender, error)
	Queue    func(*App) (operation.Queue, error)
	Payments func(*App) (operation.NotificationReader, error)
	Refunds  func(*App) (operation.RefundAPI, error)
	// NativePay is the Native payment API (nativepay.go).
	NativePay func(*App) (operation.PaymentAPI, error)
}

// AllClients builds every client: the emulator's and the tests' choice.
func AllClients() Clients {
	return Clients{Objects: NewObjects, Sender: NewSender, Queue: NewQueue, Payments: NewPayments, Refunds: NewRefunds, NativePay: NewNativePay}
}

// missing names the clients fn needs that c cannot build.
func (c Clients) missing(fn Function) error {
	var errs []error
	check := func(need, have bool, what string) {
		if need && !have {
			errs = append(errs, fmt.Errorf("%s needs %s, which its main does not build: run make generate", fn.Name, what))
		}
	}
	check(fn.Needs.Objects, c.Objects != nil, "the COS client")
	check(fn.Needs.Sender, c.Sender != nil, "the SMS and e-mail sender")
	check(fn.Needs.Queue, c.Queue != nil, "the Kafka producer")
	check(fn.Needs.Payments, c.Payments != nil, "the WeChat Pay reader")
	check(fn.Needs.Refunds, c.Refunds != nil, "the WeChat Pay refund client")
	check(fn.Needs.NativePay, c.NativePay != nil, "the WeChat Pay Native payment client")
	return errors.Join(errs...)
}

// NewObjects is COS through the S3 API (the emulator's gofakes3 locally).
func NewObjects(a *App) (operation.Objects, error) {
	return objstore.New(a.Config.Objects, a.Clock.Now), nil
}

// NewSender sends SMS and e-mail through Tencent Cloud where configured; a
// channel without configuration goes to the outbox (recorded and logged).
func NewSender(a *App) (operation.Sender, error) {
	router := notify.Router{Outbox: notify.Outbox{Log: a.Log}}
	var err error
	if a.Config.SMS != nil {
		if router.SMS, err = notify.NewSMS(*a.Config.SMS); err != nil {
			return nil, err
		}
	}
	if a.Config.Email != nil {
		if router.Email, err = notify.NewEmail(*a.Config.Email); err != nil {
			return nil, err
		}
	}
	return router, nil
}

// NewQueue connects the producer: CKafka when KAFKA_BROKERS is set. Without
// brokers (a function run alone, outside the emulator) publishing fails
// plainly, and the payment system retries the notification later.
func NewQueue(a *App) (operation.Queue, error) {
	if len(a.Config.KafkaBrokers) == 0 {
		return noQueue{}, nil
	}
	return queue.NewProducer(a.Config.KafkaBrokers)
}

type noQueue struct{}

func (noQueue) Publish(context.Context, string, string, []byte) error {
	return errors.New("no queue configured: set KAFKA_BROKERS, or run the emulator (make run)")
}

// NewPayments reads notifications with the merchant's WeChat Pay keys, or
// locally with the simulated payment system's (kept under DataDir/wechatpay,
// generated on first use).
func NewPayments(a *App) (operation.NotificationReader, error) {
	cfg := a.Config
	if cfg.WechatAPIv3Key != "" {
		keys, err := cfg.wechatKeys()
		if err != nil {
			return nil, err
		}
		return payments.NewReader(keys)
	}
	if cfg.Mode != ModeLocal {
		return nil, errors.New("WECHATPAY_APIV3_KEY, WECHATPAY_PUBLIC_KEY and WECHATPAY_PUBLIC_KEY_ID are required in production")
	}
	dir := ""
	if cfg.DataDir != "" {
		dir = filepath.Join(cfg.DataDir, "wechatpay")
	}
	local, err := payments.LoadLocalKeys(dir)
	if err != nil {
		return nil, err
	}
	keys := local.Keys()
	keys.MchID, keys.AppID = cfg.Refunds.MchID, cfg.Refunds.AppID
	return payments.NewReader(keys)
}

// lazy builds a client on its first use, so a cold start pays only for the
// clients a request actually reaches. A failed build is tried again next time.
type lazy[T any] struct {
	mu    sync.Mutex
	build func() (T, error)
	v     T
	built bool
}

func newLazy[T any](build func() (T, error)) *lazy[T] { return &lazy[T]{build: build} }

func (l *lazy[T]) get() (T, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.built {
		v, err := l.build()
		if err != nil {
			return v, err
		}
		l.v, l.built = v, true
	}
	return l.v, nil
}

// unavailable is the client of a function that does not need it: using it is
// a mistake in the catalogue, reported as such instead of a nil dereference.
func unavailable[T any](reason error) *lazy[T] {
	return newLazy(func() (T, error) {
		var zero T
		return zero, reason
	})
}

func notNeeded(fn Function, what, need string) error {
	return fmt.Errorf("function %s does not build %s: set Needs.%s in its row of shared/app/catalogue.go and run make generate", fn.Name, what, need)
}

type lazyObjects struct{ *lazy[operation.Objects] }

func (l lazyObjects) PresignPut(ctx context.Context, key, contentType string, size int64) (string, time.Time, error) {
	o, err := l.get()
	if err != nil {
		return "", time.Time{}, err
	}
	return o.PresignPut(ctx, key, contentType, size)
}

func (l lazyObjects) Read(ctx context.Context, key string, max int64) ([]byte, error) {
	o, err := l.get()
	if err != nil {
		return nil, err
	}
	return o.Read(ctx, key, max)
}

type lazySender struct{ *lazy[operation.Sender] }

func (l lazySender) Send(ctx context.Context, n market.Notification) (string, error) {
	s, err := l.get()
	if err != nil {
		return "", err
	}
	return s.Send(ctx, n)
}

type lazyQueue struct{ *lazy[operation.Queue] }

func (l lazyQueue) Publish(ctx context.Context, topic, key string, value []byte) error {
	q, err := l.get()
	if err != nil {
		return err
	}
	return q.Publish(ctx, topic, key, value)
}

type lazyReader struct {
	*lazy[operation.NotificationReader]
}

func (l lazyReader) Parse(ctx context.Context, header http.Header, body []byte) (operation.PaymentMessage, error) {
	r, err := l.get()
	if err != nil {
		return operation.PaymentMessage{}, err
	}
	return r.Parse(ctx, header, body)
}

type lazyRefunds struct{ *lazy[operation.RefundAPI] }

func (l lazyRefunds) CreateRefund(ctx context.Context, r operation.RefundOrder) (operation.RefundState, error) {
	c, err := l.get()
	if err != nil {
		return operation.RefundState{}, err
	}
	return c.CreateRefund(ctx, r)
}

func (l lazyRefunds) QueryRefund(ctx context.Context, outRefundNo string) (operation.RefundState, error) {
	c, err := l.get()
	if err != nil {
		return operation.RefundState{}, err
	}
	return c.QueryRefund(ctx, outRefundNo)
}

// ParseRefund reads a refund notification with the same keys, when the reader
// can (the WeChat Pay reader can).
func (l lazyReader) ParseRefund(ctx context.Context, header http.Header, body []byte) (operation.RefundMessage, error) {
	r, err := l.get()
	if err != nil {
		return operation.RefundMessage{}, err
	}
	rr, ok := r.(operation.RefundNotificationReader)
	if !ok {
		return operation.RefundMessage{}, errors.New("the notification reader cannot read refund notifications")
	}
	return rr.ParseRefund(ctx, header, body)
}
