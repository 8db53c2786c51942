package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/tencentyun/scf-go-lib/cloudfunction"

	"cloudmarket/shared/clock"
	"cloudmarket/shared/httpapi"
	"cloudmarket/shared/market"
	"cloudmarket/shared/operation"
	"cloudmarket/shared/scf"
	"cloudmarket/shared/store"
	"cloudmarket/shared/workday"
)

// App is one process's wiring: the store, the clock and the token verifier
// every function shares, and the outside-world clients this process was given
// constructors for, each built on first use.
type App struct {
	Config   Config
	Store    *store.Store
	Clock    clock.Clock
	Verifier *httpapi.Verifier
	Log      *slog.Logger
	Objects  operation.Objects
	Sender   operation.Sender
	Queue    operation.Queue
	Payments operation.NotificationReader
	Refunds  operation.RefundAPI
	// NativePay is the Native payment API (prepay, query, close).
	NativePay operation.PaymentAPI
	calendar  *workday.Calendar
}

// Options let the emulator and tests replace parts of the wiring.
type Options struct {
	Clock clock.Clock  // default: system clock
	Store *store.Store // default: from Config
	Log   *slog.Logger
	// Clients are the constructors of the clients this process may build;
	// a function's main passes those of its catalogue row.
	Clients Clients
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
	var verifier *httpapi.Verifier
	if cfg.Mode == ModeLocal {
		verifier = httpapi.HS256([]byte(cfg.JWTSecret))
	} else {
		verifier = httpapi.RS256(cfg.JWTPublicKey)
	}
	a := &App{Config: cfg, Store: st, Clock: clk, Verifier: verifier, Log: log, calendar: cal}
	a.Objects = lazyObjects{build(a, opt.Clients.Objects, "COS client")}
	a.Sender = lazySender{build(a, opt.Clients.Sender, "SMS and e-mail sender")}
	a.Queue = lazyQueue{build(a, opt.Clients.Queue, "Kafka producer")}
	a.Payments = lazyReader{build(a, opt.Clients.Payments, "WeChat Pay reader")}
	a.Refunds = lazyRefunds{build(a, opt.Clients.Refunds, "WeChat Pay refund client")}
	a.NativePay = lazyNativePay{build(a, opt.Clients.NativePay, "WeChat Pay Native payment client")}
	return a, nil
}

// build makes a's lazy client from its constructor; without one, the client
// is unavailable in this process.
func build[T any](a *App, construct func(*App) (T, error), what string) *lazy[T] {
	if construct == nil {
		return unavailable[T](fmt.Errorf("this process builds no %s", what))
	}
	return newLazy(func() (T, error) { return construct(a) })
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

// service is the operations as fn sees them: only the clients its catalogue
// row needs, so a function that reaches for another fails plainly here, in the
// emulator and in tests, as it would in production.
func (a *App) service(fn Function) *operation.Service {
	svc := &operation.Service{
		Store: a.Store, Clock: a.Clock, Calendar: a.calendar, Log: a.Log,
		Objects:       lazyObjects{unavailable[operation.Objects](notNeeded(fn, "the COS client", "Objects"))},
		Sender:        lazySender{unavailable[operation.Sender](notNeeded(fn, "the SMS and e-mail sender", "Sender"))},
		Queue:         lazyQueue{unavailable[operation.Queue](notNeeded(fn, "the Kafka producer", "Queue"))},
		Notifications: lazyReader{unavailable[operation.NotificationReader](notNeeded(fn, "the WeChat Pay reader", "Payments"))},
		Refunds:       lazyRefunds{unavailable[operation.RefundAPI](notNeeded(fn, "the WeChat Pay refund client", "Refunds"))},
		Native:        lazyNativePay{unavailable[operation.PaymentAPI](notNeeded(fn, "the WeChat Pay Native payment client", "NativePay"))},
		Config: operation.Config{ReviewerPhones: a.Config.ReviewerPhones, FinancePhones: a.Config.FinancePhones, RiskPhones: a.Config.RiskPhones,
			Products: a.Config.Products, ConsignmentRate: a.Config.ConsignmentRate},
	}
	if fn.Needs.Objects {
		svc.Objects = a.Objects
	}
	if fn.Needs.Sender {
		svc.Sender = a.Sender
	}
	if fn.Needs.Queue {
		svc.Queue = a.Queue
	}
	if fn.Needs.Payments {
		svc.Notifications = a.Payments
	}
	if fn.Needs.Refunds {
		svc.Refunds = a.Refunds
	}
	if fn.Needs.NativePay {
		svc.Native = a.NativePay
	}
	return svc
}

// Function returns the handler of one function of the catalogue by name.
func (a *App) Function(name string) (cloudfunction.Handler, error) {
	fn, ok := Lookup(name)
	if !ok {
		return nil, fmt.Errorf("no function named %q in the catalogue", name)
	}
	svc := a.service(fn)
	switch {
	case fn.Timer != nil:
		run := fn.Timer.Run
		return &scf.TimerHandler{Name: name, Run: func(ctx context.Context) (any, error) { return run(svc, ctx) }, Log: a.Log}, nil
	case fn.Consumer != nil:
		apply := fn.Consumer.Apply
		return &scf.KafkaHandler{Name: name, Permanent: operation.IsPermanent, Log: a.Log,
			Apply: func(ctx context.Context, key, body []byte) error { return apply(svc, ctx, key, body) },
			Dead: func(ctx context.Context, r scf.KafkaRecord, reason error) error {
				return a.Store.RecordDeadLetter(ctx, market.DeadLetter{
					ID: fmt.Sprintf("%s-%d-%d", r.Ckafka.Topic, r.Ckafka.Partition, r.Ckafka.Offset), Topic: r.Ckafka.Topic,
					Key: r.Ckafka.MsgKey, Body: r.Ckafka.MsgBody, Reason: reason.Error(), Attempts: 1, At: a.Clock.Now(),
				})
			}}, nil
	}
	api := &httpapi.API{Operations: svc}
	var routes []httpapi.Route
	for _, rt := range fn.Routes {
		handle := rt.Handle
		routes = append(routes, httpapi.Route{Method: rt.Method, Pattern: rt.Pattern, Function: name, Roles: rt.Roles,
			Public: rt.Public, PaymentSystem: rt.PaymentSystem,
			Handle: func(ctx context.Context, r *httpapi.Request) (httpapi.Reply, error) { return handle(api, ctx, r) }})
	}
	return &httpapi.Handler{Routes: routes, Verifier: a.Verifier, Operations: svc, Clock: a.Clock, Log: a.Log}, nil
}

// Start is a function main's whole body: wire from the environment with the
// constructors of the clients its catalogue row needs, then hand the named
// function's handler to scf-go-lib, which serves SCF's RPC.
func Start(name string, clients Clients) {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil)).With("function", name)
	fail := func(stage string, err error) {
		log.Error(stage, "err", err)
		os.Exit(1)
	}
	fn, ok := Lookup(name)
	if !ok {
		fail("start", fmt.Errorf("no function named %q in shared/app/catalogue.go", name))
	}
	if err := clients.missing(fn); err != nil {
		fail("start", err)
	}
	cfg, err := ConfigFromEnv()
	if err == nil {
		err = cfg.Require(fn)
	}
	if err != nil {
		fail("configuration", err)
	}
	a, err := New(context.Background(), cfg, Options{Log: log, Clients: clients})
	if err != nil {
		fail("start", err)
	}
	h, err := a.Function(name)
	if err != nil {
		fail("start", err)
	}
	cloudfunction.StartHandler(h)
}
