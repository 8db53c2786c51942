package app

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"cloudmarket/infra/invoke"
	"cloudmarket/shared/httpapi"
	"cloudmarket/shared/operation"
	"cloudmarket/shared/store"
)

func testApp(t *testing.T) *App {
	t.Helper()
	st, err := store.OpenMemory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Mode: ModeLocal, JWTSecret: DefaultJWTSecret}
	cfg.Objects.Endpoint, cfg.Objects.Bucket, cfg.Objects.Region, cfg.Objects.PathStyle = "http://127.0.0.1:1/_local/s3", "b", "ap-guangzhou", true
	cfg.Objects.SecretID, cfg.Objects.SecretKey = "local", "local"
	a, err := New(context.Background(), cfg, Options{Store: st, Clients: AllClients(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestCatalogueIsDeployable(t *testing.T) {
	t.Parallel()
	if err := CheckCatalogue(Catalogue); err != nil {
		t.Fatal(err)
	}
	bad := []Function{
		{Name: "Place_Order", Routes: []Route{{Method: "GET", Pattern: "/x", Handle: (*httpapi.API).GetOrder}}},
		{Name: "twice", Routes: []Route{{Method: "GET", Pattern: "/x", Handle: (*httpapi.API).GetOrder}}, Timer: &Timer{Trigger: "t", Cron: "0 * * * * * *"}},
		{Name: "no-trigger"},
		{Name: "bad-cron", Timer: &Timer{Trigger: "t", Cron: "0 * * * *", Run: func(*operation.Service, context.Context) (any, error) { return nil, nil }}},
	}
	err := CheckCatalogue(bad)
	for _, want := range []string{`"Place_Order"`, "route GET /x is served by Place_Order and twice", "twice: exactly one", "no-trigger: exactly one", "bad-cron"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckCatalogue missed %q: %v", want, err)
		}
	}
}

// A function wired with only its row's clients fails plainly, naming the
// fix, when an operation reaches for another one.
func TestFunctionSeesOnlyTheClientsItNeeds(t *testing.T) {
	t.Parallel()
	a := testApp(t)
	fn, _ := Lookup("place-order")
	err := a.service(fn).Queue.Publish(context.Background(), "t", "k", nil)
	if err == nil || !strings.Contains(err.Error(), "set Needs.Queue in its row") {
		t.Fatalf("place-order published: %v", err)
	}
	fn, _ = Lookup("payment-notify")
	if err := a.service(fn).Queue.Publish(context.Background(), "t", "k", nil); err == nil || !strings.Contains(err.Error(), "KAFKA_BROKERS") {
		t.Fatalf("payment-notify's queue: %v", err)
	}
	// A main that does not build a client its row needs refuses to start.
	if err := (Clients{}).missing(fn); err == nil || !strings.Contains(err.Error(), "run make generate") {
		t.Fatalf("missing clients: %v", err)
	}
	if err := (Clients{Queue: NewQueue, Payments: NewPayments}).missing(fn); err != nil {
		t.Fatal(err)
	}
}

type expectation struct {
	Function   string `json:"function"`
	StatusCode int    `json:"statusCode"`
	Code       string `json:"code"`
}

// Every sample event in events/ is replayed against its function's handler.
func TestEventSamplesReplay(t *testing.T) {
	a := testApp(t)
	raw, err := os.ReadFile("../../events/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var expected map[string]expectation
	if err := json.Unmarshal(raw, &expected); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../../events/*.json")
	replayed := 0
	for _, f := range files {
		name := filepath.Base(f)
		if name == "expected.json" {
			continue
		}
		exp, ok := expected[name]
		if !ok {
			t.Errorf("%s has no expectation in events/expected.json", name)
			continue
		}
		trigger, rest, _ := strings.Cut(name, "-")
		if !slices.Contains([]string{"http", "apigw", "timer", "ckafka"}, trigger) || !strings.HasPrefix(rest, exp.Function+"-") {
			t.Errorf("%s is not named <trigger>-%s-<case>.json", name, exp.Function)
		}
		payload, _ := os.ReadFile(f)
		payload, err := invoke.ExpandTokens(payload, DefaultJWTSecret)
		if err != nil {
			t.Fatal(err)
		}
		h, err := a.Function(exp.Function)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out, err := h.Invoke(context.Background(), payload)
		if err != nil {
			t.Errorf("%s: function error %v", name, err)
			continue
		}
		replayed++
		if trigger == "ckafka" {
			var rep map[string]int
			if err := json.Unmarshal(out, &rep); err != nil || rep["applied"]+rep["dead"] == 0 {
				t.Errorf("%s: consumer result %s", name, out)
			}
			continue
		}
		if trigger == "timer" {
			var rep map[string]int
			if err := json.Unmarshal(out, &rep); err != nil {
				t.Errorf("%s: timer result %s", name, out)
			}
			continue
		}
		var resp struct {
			StatusCode int               `json:"statusCode"`
			Headers    map[string]string `json:"headers"`
			Body       string            `json:"body"`
		}
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Errorf("%s: %s", name, out)
			continue
		}
		if resp.StatusCode != exp.StatusCode || resp.Headers["X-Request-Id"] == "" {
			t.Errorf("%s: status %d, want %d: %s", name, resp.StatusCode, exp.StatusCode, resp.Body)
		}
		if exp.Code != "" && !strings.Contains(resp.Body, `"code":"`+exp.Code+`"`) {
			t.Errorf("%s: body %s, want code %s", name, resp.Body, exp.Code)
		}
	}
	if replayed != len(expected) {
		t.Errorf("replayed %d samples, events/expected.json names %d", replayed, len(expected))
	}
	// Every function has at least one sample.
	for _, fn := range Catalogue {
		has := false
		for _, exp := range expected {
			has = has || exp.Function == fn.Name
		}
		if !has {
			t.Errorf("function %s has no sample event in events/", fn.Name)
		}
	}
}

func TestProductionConfigRefusesLocalSecret(t *testing.T) {
	t.Setenv("CLOUDMARKET_MODE", "production")
	t.Setenv("MONGODB_URI", "mongodb://db:27017/?replicaSet=rs0")
	t.Setenv("CLOUDMARKET_JWT_SECRET", "local-dev-secret")
	if _, err := ConfigFromEnv(); err == nil {
		t.Fatal("production accepted an HS256 secret")
	}
	t.Setenv("CLOUDMARKET_JWT_SECRET", "")
	cfg, err := ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	fn, _ := Lookup("query-events")
	if err := cfg.Require(fn); err == nil || !strings.Contains(err.Error(), "CLOUDMARKET_JWT_PUBLIC_KEY") {
		t.Fatalf("production started without a public key: %v", err)
	}
}

// Production demands a function's own settings, no others: query-events
// needs no Kafka brokers or WeChat keys, payment-notify no token key; only
// the functions that may pay a refund need the merchant's refund credentials.
func TestProductionConfigDemandsOnlyWhatAFunctionUses(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	t.Setenv("CLOUDMARKET_MODE", "production")
	t.Setenv("MONGODB_URI", "mongodb://db:27017/?replicaSet=rs0")
	t.Setenv("CLOUDMARKET_JWT_PUBLIC_KEY", pubPEM)
	cfg, err := ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	need := func(name string) error {
		fn, ok := Lookup(name)
		if !ok {
			t.Fatalf("no %s", name)
		}
		return cfg.Require(fn)
	}
	for _, name := range []string{"query-events", "decide-application", "request-refund"} {
		if err := need(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Functions that may pay a refund back through the payment system (R-RF7).
	for _, name := range []string{"arbitrate-refund", "respond-refund", "request-exit", "apply-payment", "enforce-deadlines"} {
		if err := need(name); err == nil || !strings.Contains(err.Error(), "WECHATPAY_MCHID") {
			t.Errorf("%s without refund credentials: %v", name, err)
		}
	}
	// Functions that prepay, query or close Native payments.
	for _, name := range []string{"place-order", "enforce-deadlines"} {
		if err := need(name); err == nil || !strings.Contains(err.Error(), "WECHATPAY_APPID") {
			t.Errorf("%s without the Native payment settings: %v", name, err)
		}
	}
	if err := need("create-license-upload"); err == nil || !strings.Contains(err.Error(), "COS_BUCKET") {
		t.Errorf("create-license-upload without a bucket: %v", err)
	}
	err = need("payment-notify")
	for _, want := range []string{"KAFKA_BROKERS", "WECHATPAY_APIV3_KEY"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("payment-notify without %s: %v", want, err)
		}
	}
	t.Setenv("CLOUDMARKET_JWT_PUBLIC_KEY", "")
	t.Setenv("KAFKA_BROKERS", "ckafka:9092")
	t.Setenv("WECHATPAY_APIV3_KEY", "0123456789abcdef0123456789abcdef")
	t.Setenv("WECHATPAY_PUBLIC_KEY", pubPEM)
	t.Setenv("WECHATPAY_PUBLIC_KEY_ID", "PUB_KEY_ID_0001")
	if cfg, err = ConfigFromEnv(); err != nil {
		t.Fatal(err)
	}
	if err := need("payment-notify"); err == nil || !strings.Contains(err.Error(), "WECHATPAY_MCHID") {
		t.Errorf("payment-notify without knowing our merchant: %v", err)
	}
	t.Setenv("WECHATPAY_MCHID", "1900000001")
	t.Setenv("WECHATPAY_APPID", "wxd678efh567hg6787")
	if cfg, err = ConfigFromEnv(); err != nil {
		t.Fatal(err)
	}
	if err := need("payment-notify"); err != nil {
		t.Errorf("payment-notify (public, no token key): %v", err)
	}
}
