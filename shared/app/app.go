package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/golang-jwt/jwt/v5"
	"github.com/tencentyun/scf-go-lib/cloudfunction"

	"cloudmarket/shared/clock"
	"cloudmarket/shared/httpapi"
	"cloudmarket/shared/market"
	"cloudmarket/shared/notify"
	"cloudmarket/shared/objstore"
	"cloudmarket/shared/operation"
	"cloudmarket/shared/payments"
	"cloudmarket/shared/queue"
	"cloudmarket/shared/scf"
	"cloudmarket/shared/store"
	"cloudmarket/shared/workday"
)

// App is one process's wiring.
type App struct {
	Config     Config
	Store      *store.Store
	Clock      clock.Clock
	Operations *operation.Service
	API        *httpapi.API
	Verifier   *httpapi.Verifier
	Objects    *objstore.Bucket
	// Simulator is the local payment system (nil with real WeChat Pay keys).
	Simulator *payments.Simulator
	Log       *slog.Logger
}

// Options let the emulator and tests replace parts of the wiring.
type Options struct {
	Clock  clock.Clock      // default: system clock
	Store  *store.Store     // default: from Config
	Sender operation.Sender // default: SMS if configured, else the outbox
	Queue  operation.Queue  // default: KAFKA_BROKERS
	Log    *slog.Logger
}

// New builds an App from a Config.
func New(ctx context.Context, cfg Config, opt Options) (*App, error) {
	log := opt.Log
	if log == nil {
		log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	clk := opt.Clock
	if clk == nil {
		clk = clock.System{}
	}
	st := opt.Store
	if st == nil {
		var err error
		if cfg.MongoURI != "" {
			st, err = store.Connect(ctx, cfg.MongoURI, cfg.MongoDatabase)
		} else {
			st, err = store.OpenFile(ctx, cfg.LocalFile())
		}
		if err != nil {
			return nil, err
		}
	}
	if cfg.Products.MaxPriceFen == 0 {
		cfg.Products.MaxPriceFen = market.DefaultMaxPriceFen
	}
	if cfg.Products.AllowedDomains == nil {
		cfg.Products.AllowedDomains = market.DefaultAllowedDomains
	}
	cal, err := calendar(cfg.CalendarDir, log)
	if err != nil {
		return nil, err
	}
	sender := opt.Sender
	if sender == nil {
		router := notify.Router{Outbox: notify.Outbox{Log: log}}
		if cfg.SMS != nil {
			if router.SMS, err = notify.NewSMS(*cfg.SMS); err != nil {
				return nil, err
			}
		}
		if cfg.Email != nil {
			if router.Email, err = notify.NewEmail(*cfg.Email); err != nil {
				return nil, err
			}
		}
		sender = router
	}
	var verifier *httpapi.Verifier
	if cfg.Mode == ModeLocal {
		verifier = httpapi.HS256([]byte(cfg.JWTSecret))
	} else {
		verifier = httpapi.RS256(cfg.JWTPublicKey)
	}
	objects := objstore.New(cfg.Objects, clk.Now)
	q := opt.Queue
	if q == nil {
		if q, err = newQueue(cfg); err != nil {
			return nil, err
		}
	}
	reader, sim, err := paymentKeys(cfg)
	if err != nil {
		return nil, err
	}
	refunds, err := refundAPI(ctx, cfg, sim)
	if err != nil {
		return nil, err
	}
	svc := &operation.Service{Refunds: refunds,
		Store: st, Clock: clk, Calendar: cal, Objects: objects, Sender: sender, Log: log,
		Queue: q, Notifications: reader,
		Config: operation.Config{ReviewerPhones: cfg.ReviewerPhones, FinancePhones: cfg.FinancePhones, RiskPhones: cfg.RiskPhones,
			Products: cfg.Products, ConsignmentRate: cfg.ConsignmentRate},
	}
	return &App{Config: cfg, Store: st, Clock: clk, Operations: svc, API: &httpapi.API{Operations: svc}, Verifier: verifier, Objects: objects, Simulator: sim, Log: log}, nil
}

// newQueue connects the producer: CKafka when KAFKA_BROKERS is set. Without
// brokers (a function run alone, outside the emulator) publishing fails
// plainly, and the payment system retries the notification later.
func newQueue(cfg Config) (operation.Queue, error) {
	if len(cfg.KafkaBrokers) == 0 {
		return noQueue{}, nil
	}
	return queue.NewProducer(cfg.KafkaBrokers)
}

type noQueue struct{}

func (noQueue) Publish(context.Context, string, string, []byte) error {
	return errors.New("no queue configured: set KAFKA_BROKERS, or run the emulator (make run)")
}

// paymentKeys builds the notification reader: the merchant's configured WeChat
// Pay keys, or locally the simulator's (generated under DataDir/wechatpay on
// first run), whose Simulator the emulator uses to pay.
func paymentKeys(cfg Config) (*payments.Reader, *payments.Simulator, error) {
	if cfg.WechatAPIv3Key != "" {
		pub, err := jwt.ParseRSAPublicKeyFromPEM([]byte(cfg.WechatPublicKeyPEM))
		if err != nil {
			return nil, nil, fmt.Errorf("WECHATPAY_PUBLIC_KEY: %w", err)
		}
		r, err := payments.NewReader(payments.Keys{APIv3Key: cfg.WechatAPIv3Key, PublicKey: pub, PublicKeyID: cfg.WechatPublicKeyID})
		return r, nil, err
	}
	dir := ""
	if cfg.DataDir != "" {
		dir = filepath.Join(cfg.DataDir, "wechatpay")
	}
	sim, err := payments.LocalKeys(dir)
	if err != nil {
		return nil, nil, err
	}
	r, err := payments.NewReader(sim.Keys())
	return r, sim, err
}

// calendar loads lunar-go's tables plus any override year files (R-WD1) and
// warns once per year that falls back to Monday–Friday (R-WD3).
func calendar(dir string, log *slog.Logger) (*workday.Calendar, error) {
	opts := []workday.Option{workday.OnFallback(func(year int) {
		log.Warn("working-day calendar has no data for this year; counting Monday–Friday as working days (R-WD3). Add a year file to CLOUDMARKET_CALENDAR_DIR.", "year", year)
	})}
	if dir != "" {
		files, err := filepath.Glob(filepath.Join(dir, "*.json"))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			y, err := workday.ParseYear(data)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			opts = append(opts, workday.WithYear(y))
		}
	}
	return workday.New(opts...), nil
}

// Timers are the timer functions and what each runs.
func (a *App) Timers() map[string]func(context.Context) (any, error) {
	return map[string]func(context.Context) (any, error){
		"enforce-deadlines": func(ctx context.Context) (any, error) { return a.Operations.EnforceDeadlines(ctx) },
	}
}

// Consumers are the queue-triggered functions: topic and what each applies.
func (a *App) Consumers() map[string]Consumer {
	return map[string]Consumer{
		"apply-payment": {Topic: operation.PaymentTopic, Apply: func(ctx context.Context, _, body []byte) error {
			return a.Operations.ApplyPaymentEvent(ctx, body) // payments and refund results
		}},
	}
}

// Consumer is a queue-triggered function.
type Consumer struct {
	Topic string
	Apply func(ctx context.Context, key, body []byte) error
}

// FunctionNames lists every function: the HTTP ones of the route table and
// the timers, sorted.
func (a *App) FunctionNames() []string {
	var names []string
	for _, rt := range a.API.Routes() {
		if !slices.Contains(names, rt.Function) {
			names = append(names, rt.Function)
		}
	}
	for name := range a.Timers() {
		names = append(names, name)
	}
	for name := range a.Consumers() {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Function returns the handler of one function by name.
func (a *App) Function(name string) (cloudfunction.Handler, error) {
	if run, ok := a.Timers()[name]; ok {
		return &scf.TimerHandler{Name: name, Run: run, Log: a.Log}, nil
	}
	if c, ok := a.Consumers()[name]; ok {
		return &scf.KafkaHandler{Name: name, Apply: c.Apply, Permanent: operation.IsPermanent, Log: a.Log,
			Dead: func(ctx context.Context, r scf.KafkaRecord, reason error) error {
				return a.Store.RecordDeadLetter(ctx, market.DeadLetter{
					ID: fmt.Sprintf("%s-%d-%d", r.Ckafka.Topic, r.Ckafka.Partition, r.Ckafka.Offset), Topic: r.Ckafka.Topic,
					Key: r.Ckafka.MsgKey, Body: r.Ckafka.MsgBody, Reason: reason.Error(), Attempts: 1, At: a.Clock.Now(),
				})
			}}, nil
	}
	var routes []httpapi.Route
	for _, rt := range a.API.Routes() {
		if rt.Function == name {
			routes = append(routes, rt)
		}
	}
	if len(routes) == 0 {
		return nil, fmt.Errorf("no function named %q", name)
	}
	return &httpapi.Handler{Routes: routes, Verifier: a.Verifier, Operations: a.Operations, Clock: a.Clock, Log: a.Log}, nil
}

// Start is a function main's whole body: wire from the environment, then hand
// the named function's handler to scf-go-lib, which serves SCF's RPC.
func Start(name string) {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil)).With("function", name)
	cfg, err := ConfigFromEnv()
	if err != nil {
		log.Error("configuration", "err", err)
		os.Exit(1)
	}
	a, err := New(context.Background(), cfg, Options{Log: log})
	if err != nil {
		log.Error("start", "err", err)
		os.Exit(1)
	}
	h, err := a.Function(name)
	if err != nil {
		log.Error("start", "err", err)
		os.Exit(1)
	}
	cloudfunction.StartHandler(h)
}
