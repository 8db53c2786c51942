// Package emulator is the local shape of the whole system in one process
// (DESIGN.md "Local shape"): the lungo file store, an in-process S3 (gofakes3),
// the outbox, every function of the catalogue (shared/app) behind one port,
// timers per their cron, Kafka (kfake) with CKafka-shaped delivery, and the
// local-only routes of API.md. Each request becomes exactly the Function URL
// event SCF would deliver, handed to the same handler value the function's
// main starts, wired with only the clients its catalogue row names.
package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3bolt"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/robfig/cron/v3"
	"github.com/tencentyun/scf-go-lib/cloudfunction"
	bolt "go.etcd.io/bbolt"

	"cloudmarket/shared/app"
	"cloudmarket/shared/clock"
	"cloudmarket/shared/httpapi"
	"cloudmarket/shared/ids"
	"cloudmarket/shared/notify"
	"cloudmarket/shared/operation"
	"cloudmarket/shared/payments"
	"cloudmarket/shared/payments/simulator"
	"cloudmarket/shared/queue"
	"cloudmarket/shared/store"
)

// Options of an emulator.
type Options struct {
	Config   app.Config // Mode must be local
	Listener net.Listener
	Memory   bool // keep everything in memory (tests)
	Schedule bool // fire the timers per their cron (make run); tests fire them on demand
	Log      *slog.Logger
	// QueueRetries is how often a failing batch is delivered again before it
	// is skipped (default: the consumer's Retries in the catalogue, which is
	// the CKafka trigger's retry).
	QueueRetries int
	// FailDelivery, when set, makes the consumer function fail for a batch
	// holding a record whose key it names (fault injection).
	FailDelivery func(key string) bool
	// CrashBeforeCommit, when set, is asked after each delivered batch whether
	// the consumer dies before committing its offsets (fault injection).
	CrashBeforeCommit func() bool
}

// Emulator is a running local system.
type Emulator struct {
	App   *app.App
	Clock *clock.Adjustable
	URL   string
	// simulator is the local payment system, its keys made on first use (a
	// 2048-bit RSA key is not free, and most runs never pay); nil with real
	// WeChat Pay keys.
	simulator func() (*simulator.Simulator, error)
	routes    []httpapi.Route // every HTTP route, in catalogue order
	handlers  map[string]cloudfunction.Handler
	consumers []*consumer
	timers    map[string]cloudfunction.Handler
	s3        http.Handler
	server    *http.Server
	cron      *cron.Cron
	closers   []func() error
	listener  net.Listener
	stop      context.CancelFunc
	running   sync.WaitGroup
	connMu    sync.Mutex
	unused    map[net.Conn]bool // accepted, no request read yet
	// The local refund API (refunds.go).
	refunds     *refundSystem
	refundsOnce sync.Once
	// The local Native payment API (nativepay.go), its orders kept under
	// dataDir ("" in memory).
	native     *nativeSystem
	nativeOnce sync.Once
	dataDir    string
}

// New wires an emulator on the given listener. Call Serve to start it.
func New(ctx context.Context, o Options) (*Emulator, error) {
	if o.Config.Mode != app.ModeLocal {
		return nil, errors.New("emulator: the local emulator runs only in local mode")
	}
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	e := &Emulator{Clock: clock.NewAdjustable(), URL: baseURL(o.Listener.Addr()), listener: o.Listener}
	cfg := o.Config
	if os.Getenv("COS_ENDPOINT") == "" {
		cfg.Objects.Endpoint, cfg.Objects.PathStyle = e.URL+"/_local/s3", true
	}

	var backend gofakes3.Backend
	var st *store.Store
	var err error
	if o.Memory {
		backend = s3mem.New()
		st, err = store.OpenMemory(ctx)
	} else {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return nil, err
		}
		db, berr := bolt.Open(filepath.Join(cfg.DataDir, "objects.bolt"), 0o600, &bolt.Options{Timeout: 5 * time.Second})
		if berr != nil {
			return nil, fmt.Errorf("emulator: object store (is another emulator running on %s?): %w", cfg.DataDir, berr)
		}
		e.closers = append(e.closers, db.Close)
		backend = s3bolt.New(db)
		if cfg.MongoURI != "" {
			st, err = store.Connect(ctx, cfg.MongoURI, cfg.MongoDatabase)
		} else {
			st, err = store.OpenFile(ctx, cfg.LocalFile())
		}
	}
	if err != nil {
		return nil, err
	}
	e.closers = append(e.closers, func() error { return st.Close(context.Background()) })
	// Signed requests only, as COS: the presigned PUT, the app's signed reads.
	e.s3 = signedS3{next: http.StripPrefix("/_local/s3", gofakes3.New(backend, gofakes3.WithAutoBucket(true)).Server()),
		accessKey: cfg.Objects.SecretID, secretKey: cfg.Objects.SecretKey, now: time.Now}

	kafkaDir := ""
	if !o.Memory {
		kafkaDir = filepath.Join(cfg.DataDir, "kafka")
	}
	cluster, err := startKafka(kafkaDir)
	if err != nil {
		return nil, err
	}
	e.closers = append(e.closers, func() error { cluster.Close(); return nil })
	producer, err := queue.NewProducer(cluster.ListenAddrs())
	if err != nil {
		return nil, err
	}
	e.closers = append(e.closers, func() error { producer.Close(); return nil })
	if o.Memory {
		cfg.DataDir = "" // simulator keys in memory too
	}
	e.dataDir = cfg.DataDir
	clients := app.AllClients()
	clients.Queue = func(*app.App) (operation.Queue, error) { return producer, nil }
	if cfg.WechatAPIv3Key == "" {
		dir := ""
		if cfg.DataDir != "" {
			dir = filepath.Join(cfg.DataDir, "wechatpay")
		}
		e.simulator = sync.OnceValues(func() (*simulator.Simulator, error) { return simulator.Open(dir) })
		clients.Payments = func(*app.App) (operation.NotificationReader, error) {
			sim, err := e.simulator()
			if err != nil {
				return nil, err
			}
			return payments.NewReader(sim.Keys())
		}
		// The same refund client as production, calling the local refund API
		// (refunds.go) as the simulator's merchant.
		clients.Refunds = func(*app.App) (operation.RefundAPI, error) {
			sim, err := e.simulator()
			if err != nil {
				return nil, err
			}
			m, err := sim.LocalMerchant(e.URL)
			if err != nil {
				return nil, err
			}
			return payments.NewRefundClient(ctx, m, sim.Keys())
		}
		// And the same Native payment client, calling the local Native API
		// (nativepay.go).
		clients.NativePay = func(*app.App) (operation.PaymentAPI, error) {
			sim, err := e.simulator()
			if err != nil {
				return nil, err
			}
			m, err := sim.LocalMerchant(e.URL)
			if err != nil {
				return nil, err
			}
			return payments.NewNativeClient(ctx, m, sim.Keys())
		}
	}
	if e.App, err = app.New(ctx, cfg, app.Options{Clock: e.Clock, Store: st, Clients: clients, Log: log}); err != nil {
		return nil, err
	}
	e.handlers, e.timers = map[string]cloudfunction.Handler{}, map[string]cloudfunction.Handler{}
	for _, fn := range app.Catalogue {
		h, err := e.App.Function(fn.Name)
		if err != nil {
			return nil, err
		}
		switch {
		case fn.Timer != nil:
			e.timers[fn.Name] = h
		case fn.Consumer != nil:
			retries := o.QueueRetries
			if retries == 0 {
				retries = fn.Consumer.Retries
			}
			e.consumers = append(e.consumers, &consumer{name: fn.Name, topic: fn.Consumer.Topic, batch: fn.Consumer.BatchSize,
				brokers: cluster.ListenAddrs(), handler: h, retries: retries, log: log, crash: o.CrashBeforeCommit, fail: o.FailDelivery})
		default:
			e.handlers[fn.Name] = h
			for _, rt := range fn.Routes {
				e.routes = append(e.routes, httpapi.Route{Method: rt.Method, Pattern: rt.Pattern, Function: fn.Name})
			}
		}
	}
	if o.Schedule {
		if err := e.schedule(log); err != nil {
			return nil, err
		}
	}
	e.unused = map[net.Conn]bool{}
	e.server = &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second, ConnState: e.track}
	return e, nil
}

// Simulator is the local payment system; an error with real WeChat Pay keys,
// which it cannot sign for.
func (e *Emulator) Simulator() (*simulator.Simulator, error) {
	if e.simulator == nil {
		return nil, errors.New("real WeChat Pay keys are configured; the simulator cannot sign for them")
	}
	return e.simulator()
}

// baseURL is how clients reach the listener: a wildcard address (":8080") is
// reached as localhost.
func baseURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP.IsUnspecified() {
		_, port, _ := net.SplitHostPort(addr.String())
		return "http://localhost:" + port
	}
	return "http://" + addr.String()
}

// Serve blocks serving requests until Close.
func (e *Emulator) Serve() error {
	if e.cron != nil {
		e.cron.Start()
	}
	ctx, stop := context.WithCancel(context.Background())
	e.stop = stop
	for _, c := range e.consumers {
		e.running.Add(1)
		go func() { defer e.running.Done(); c.run(ctx) }()
	}
	if err := e.server.Serve(e.listener); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// track notes the connections that have not sent a request yet.
func (e *Emulator) track(c net.Conn, state http.ConnState) {
	e.connMu.Lock()
	defer e.connMu.Unlock()
	if state == http.StateNew {
		e.unused[c] = true
	} else {
		delete(e.unused, c)
	}
}

// Close stops serving and releases the stores. Requests in flight get up to
// 2 s to finish. A connection a client opened but never used is closed at
// once: Shutdown would wait 5 s for it (an S3 or HTTP client that dialled one
// connection too many in a burst of requests leaves one behind).
func (e *Emulator) Close() error {
	if e.cron != nil {
		<-e.cron.Stop().Done()
	}
	e.connMu.Lock()
	for c := range e.unused {
		_ = c.Close()
	}
	e.connMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := e.server.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = e.server.Close()
	}
	if e.stop != nil {
		e.stop()
		e.running.Wait()
	}
	for i := len(e.closers) - 1; i >= 0; i-- {
		err = errors.Join(err, e.closers[i]())
	}
	return err
}

// schedule fires every timer of the catalogue per its cron.
func (e *Emulator) schedule(log *slog.Logger) error {
	e.cron = cron.New(cron.WithSeconds())
	for _, fn := range app.Catalogue {
		if fn.Timer == nil {
			continue
		}
		spec, err := app.CronWithoutYear(fn.Timer.Cron)
		if err != nil {
			return fmt.Errorf("emulator: timer %s: %w", fn.Name, err)
		}
		h, name := e.timers[fn.Name], fn.Name
		if _, err := e.cron.AddFunc(spec, func() {
			if _, err := e.fire(context.Background(), h); err != nil {
				log.Error("timer failed; it runs again at its next tick", "timer", name, "err", err)
			}
		}); err != nil {
			return fmt.Errorf("emulator: timer %s cron %q: %w", name, spec, err)
		}
	}
	return nil
}

func (e *Emulator) fire(ctx context.Context, h cloudfunction.Handler) ([]byte, error) {
	ev, _ := json.Marshal(map[string]string{"Type": "Timer", "TriggerName": "emulator", "Time": e.Clock.Now().UTC().Format(time.RFC3339), "Message": ""})
	return h.Invoke(ctx, ev)
}

// ServeHTTP routes local-only paths here and everything else to functions.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if e.serveLocalRefunds(w, r) || e.serveLocalNative(w, r) {
		return
	}
	switch {
	case strings.HasPrefix(r.URL.Path, "/_local/s3/"):
		e.s3.ServeHTTP(w, r)
	case r.URL.Path == "/_local/clock":
		e.serveClock(w, r)
	case strings.HasPrefix(r.URL.Path, "/_local/timers/") && strings.HasSuffix(r.URL.Path, "/fire"):
		e.serveFire(w, r)
	case r.URL.Path == "/_local/outbox":
		e.serveOutbox(w, r)
	case r.URL.Path == "/_local/payments/simulate":
		e.serveSimulate(w, r)
	case r.URL.Path == "/_local/dead-letters":
		e.serveDeadLetters(w, r)
	case r.URL.Path == "/_local/token":
		e.serveToken(w, r)
	case r.URL.Path == "/console" || strings.HasPrefix(r.URL.Path, "/console/"):
		e.serveConsole(w, r)
	default:
		e.serveFunction(w, r)
	}
}

// serveFunction builds the Function URL event and invokes the route's function.
func (e *Emulator) serveFunction(w http.ResponseWriter, r *http.Request) {
	fn := ""
	for _, rt := range e.routes {
		if _, ok := rt.Match(r.URL.Path); ok {
			fn = rt.Function
			if rt.Method == r.Method {
				break
			}
		}
	}
	h, ok := e.handlers[fn]
	if !ok {
		writeError(w, http.StatusNotFound, "ResourceNotFound.Route", fmt.Sprintf("No route %s %s.", r.Method, r.URL.Path))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, httpapi.MaxBodyBytes+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidParameter", "The request body could not be read.")
		return
	}
	headers := map[string]string{}
	for k, v := range r.Header {
		headers[strings.ToLower(k)] = strings.Join(v, ",")
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		headers["x-scf-remote-addr"] = host
	}
	query := map[string]string{}
	for k, v := range r.URL.Query() {
		query[k] = v[0]
	}
	event, _ := json.Marshal(map[string]any{"body": string(body), "headers": headers, "httpMethod": r.Method, "path": r.URL.Path, "queryString": query})
	out, err := h.Invoke(r.Context(), event)
	if err != nil {
		writeError(w, http.StatusBadGateway, "InternalError", "The function failed: "+err.Error())
		return
	}
	var resp httpapi.Response
	if err := json.Unmarshal(out, &resp); err != nil {
		writeError(w, http.StatusBadGateway, "InternalError", "The function returned an unreadable response.")
		return
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.WriteString(w, resp.Body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Request-Id", ids.New(ids.Request, time.Now()))
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	id := ids.New(ids.Request, time.Now())
	w.Header().Set("X-Request-Id", id)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg, "requestId": id}})
}

func (e *Emulator) serveClock(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		var in struct {
			Set     *string `json:"set"`
			Advance *string `json:"advance"`
		}
		dec := json.NewDecoder(io.LimitReader(r.Body, 4096))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil || (in.Set == nil) == (in.Advance == nil) {
			writeError(w, http.StatusBadRequest, "InvalidParameter", `Send exactly one of {"set": "<RFC 3339 time>"} or {"advance": "<Go duration, e.g. 168h>"}.`)
			return
		}
		if in.Set != nil {
			t, err := time.Parse(time.RFC3339Nano, *in.Set)
			if err != nil {
				writeError(w, http.StatusBadRequest, "InvalidParameterValue.Set", "set must be an RFC 3339 time with offset, e.g. 2026-09-29T10:00:00+08:00.")
				return
			}
			e.Clock.Set(t)
		} else {
			d, err := time.ParseDuration(*in.Advance)
			if err != nil {
				writeError(w, http.StatusBadRequest, "InvalidParameterValue.Advance", "advance must be a duration such as 168h or 90m.")
				return
			}
			e.Clock.Advance(d)
		}
	default:
		writeError(w, http.StatusNotFound, "ResourceNotFound.Route", "Use GET or POST on /_local/clock.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"now": httpapi.Timestamp(e.Clock.Now())})
}

func (e *Emulator) serveFire(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/_local/timers/"), "/fire")
	h, ok := e.timers[name]
	if r.Method != http.MethodPost || !ok {
		writeError(w, http.StatusNotFound, "ResourceNotFound.Timer", fmt.Sprintf("No timer %q; POST /_local/timers/{name}/fire with one of the timers of the catalogue.", name))
		return
	}
	out, err := e.fire(r.Context(), h)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalError", "The timer failed and would be retried: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Request-Id", ids.New(ids.Request, time.Now()))
	_, _ = io.Copy(w, bytes.NewReader(out))
}

type outboxItem struct {
	ID       string   `json:"id"`
	EventID  string   `json:"eventId"`
	Channel  string   `json:"channel"`
	To       string   `json:"to"`
	Template string   `json:"template"`
	Params   []string `json:"params"`
	Text     string   `json:"text"`
	SentAt   string   `json:"sentAt"`
}

func (e *Emulator) serveOutbox(w http.ResponseWriter, r *http.Request) {
	sent, err := e.App.Store.SentNotifications(r.Context(), 1000)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	items := []outboxItem{}
	for _, n := range sent {
		text, _ := notify.Render(n.Template, n.Params)
		items = append(items, outboxItem{ID: n.ID, EventID: n.EventID, Channel: n.Channel, To: n.To, Template: n.Template, Params: n.Params, Text: text, SentAt: httpapi.Timestamp(n.SentAt)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

// serveSimulate plays the payment system: it builds a notification exactly as
// WeChat Pay would (signed with the local platform key, resource encrypted with
// the local APIv3 key), posts it to the real notify route and answers with
// that route's response. With "scan": true it is the buyer scanning a
// prepaid order's code instead: the local Native API takes the payment (so a
// query finds it) and notifies the prepay's notify_url, unless "withhold":
// true keeps the notification back (then it answers 200 with the
// transaction), so that only reconciliation can find the payment.
func (e *Emulator) serveSimulate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		OutTradeNo    string `json:"outTradeNo"`
		AmountFen     *int64 `json:"amountFen"`
		TransactionID string `json:"transactionId"`
		Attach        string `json:"attach"`
		Scan          bool   `json:"scan"`
		Withhold      bool   `json:"withhold"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 8192))
	dec.DisallowUnknownFields()
	if r.Method != http.MethodPost {
		writeError(w, http.StatusNotFound, "ResourceNotFound.Route", "POST /_local/payments/simulate.")
		return
	}
	const usage = `Send {"outTradeNo": "…", "amountFen": 1} (or "attach": "deposit:{providerId}" instead of outTradeNo), optionally "transactionId"; or {"outTradeNo": "…", "scan": true} (no amountFen: the buyer pays what the prepay says) to pay a placed order as a buyer scanning its code, with "withhold": true to keep its notification back.`
	if err := dec.Decode(&in); err != nil || (in.Scan && (in.OutTradeNo == "" || in.Attach != "" || in.AmountFen != nil)) || (!in.Scan && (in.AmountFen == nil || (in.OutTradeNo == "" && in.Attach == "") || in.Withhold)) {
		writeError(w, http.StatusBadRequest, "InvalidParameter", usage)
		return
	}
	if e.simulator == nil {
		writeError(w, http.StatusConflict, "FailedOperation.RealPaymentKeys", "Real WeChat Pay keys are configured; the simulator cannot sign for them.")
		return
	}
	sim, err := e.simulator()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	if in.TransactionID == "" {
		in.TransactionID = "42000" + strings.ReplaceAll(ids.New("", time.Now())[1:], "-", "")
	}
	// Created and paid on the emulator's clock; signed in real time, which is
	// what the verifier's 5-minute window is checked against.
	now := e.Clock.Now()
	tx := simulator.Transaction{TransactionID: in.TransactionID, OutTradeNo: in.OutTradeNo, Attach: in.Attach, SuccessTime: now}
	notifyURL := e.URL + "/v1/payments/notify"
	if in.Scan {
		var serr *scanErr
		if tx, notifyURL, serr = e.scan(in.OutTradeNo, in.TransactionID); serr != nil {
			writeError(w, serr.status, serr.code, serr.msg)
			return
		}
		if in.Withhold {
			writeJSON(w, http.StatusOK, map[string]any{"transactionId": tx.TransactionID, "outTradeNo": tx.OutTradeNo, "amountFen": tx.AmountFen, "notified": false})
			return
		}
	} else {
		tx.AmountFen = *in.AmountFen
		e.notedPayment(&tx)
	}
	header, body, err := sim.Notification(tx, now, time.Now())
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	resp, err := e.postNotification(notifyURL, header, body)
	if err != nil {
		writeError(w, http.StatusBadGateway, "InternalError", "The notify route did not answer: "+err.Error())
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.Header().Set("X-Transaction-Id", tx.TransactionID)
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

func (e *Emulator) serveDeadLetters(w http.ResponseWriter, r *http.Request) {
	list, err := e.App.Store.DeadLetters(r.Context(), 1000)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	items := []map[string]any{}
	for _, d := range list {
		items = append(items, map[string]any{"id": d.ID, "topic": d.Topic, "key": d.Key, "body": d.Body, "reason": d.Reason, "attempts": d.Attempts, "at": httpapi.Timestamp(d.At)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}
