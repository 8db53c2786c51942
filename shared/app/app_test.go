package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"cloudmarket/infra/invoke"
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
	a, err := New(context.Background(), cfg, Options{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// functions/, serverless.yml and the route table must name the same functions.
func TestFunctionsManifestAndRoutesAgree(t *testing.T) {
	a := testApp(t)
	entries, err := os.ReadDir("../../functions")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			if _, err := os.Stat(filepath.Join("../../functions", e.Name(), "main.go")); err != nil {
				t.Errorf("functions/%s has no main.go", e.Name())
			}
			dirs = append(dirs, e.Name())
		}
	}
	m, err := ReadManifest("../../serverless.yml")
	if err != nil {
		t.Fatal(err)
	}
	if m.Component != "multi-scf" || m.Inputs.Runtime != "Go1" {
		t.Errorf("serverless.yml: component %q runtime %q", m.Component, m.Inputs.Runtime)
	}
	want := a.FunctionNames()
	if got := m.FunctionNames(); !slices.Equal(got, want) {
		t.Errorf("serverless.yml functions %v, catalogue %v", got, want)
	}
	if !slices.Equal(dirs, want) {
		t.Errorf("functions/ %v, catalogue %v", dirs, want)
	}
	for key, f := range m.Inputs.Functions {
		if f.Handler != "main" {
			t.Errorf("function %s: handler %q, want main", key, f.Handler)
		}
	}
	var httpFns []string
	for _, rt := range a.API.Routes() {
		if !slices.Contains(httpFns, rt.Function) {
			httpFns = append(httpFns, rt.Function)
		}
	}
	sort.Strings(httpFns)
	if got := m.TriggerFunctions("http"); !slices.Equal(got, httpFns) {
		t.Errorf("http triggers %v, routed functions %v", got, httpFns)
	}
	var timers []string
	for _, tm := range m.Timers() {
		timers = append(timers, tm.Function)
		if _, err := CronWithoutYear(tm.Cron); err != nil {
			t.Error(err)
		}
		if _, ok := a.Timers()[tm.Function]; !ok {
			t.Errorf("timer trigger for %s, which is not a timer function", tm.Function)
		}
	}
	if len(timers) != len(a.Timers()) {
		t.Errorf("timer triggers %v, timer functions %d", timers, len(a.Timers()))
	}
	var consumers []string
	for name := range a.Consumers() {
		consumers = append(consumers, name)
	}
	sort.Strings(consumers)
	if got := m.TriggerFunctions("ckafka"); !slices.Equal(got, consumers) {
		t.Errorf("ckafka triggers %v, consumer functions %v", got, consumers)
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
	for _, fn := range a.FunctionNames() {
		has := false
		for _, exp := range expected {
			has = has || exp.Function == fn
		}
		if !has {
			t.Errorf("function %s has no sample event in events/", fn)
		}
	}
}

func TestProductionConfigRefusesLocalSecret(t *testing.T) {
	t.Setenv("CLOUDMARKET_MODE", "production")
	t.Setenv("CLOUDMARKET_JWT_SECRET", "local-dev-secret")
	if _, err := ConfigFromEnv(); err == nil {
		t.Fatal("production accepted an HS256 secret")
	}
	t.Setenv("CLOUDMARKET_JWT_SECRET", "")
	if _, err := ConfigFromEnv(); err == nil {
		t.Fatal("production started without a public key")
	}
}

// The gateway routes deployed by infra/terraform are the route table's.
func TestTerraformRoutesMatchRouteTable(t *testing.T) {
	a := testApp(t)
	raw, err := os.ReadFile("../../infra/terraform/routes.json")
	if err != nil {
		t.Fatal(err)
	}
	var deployed []struct{ Method, Path, Function string }
	if err := json.Unmarshal(raw, &deployed); err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, r := range deployed {
		got = append(got, r.Method+" "+r.Path+" "+r.Function)
	}
	for _, r := range a.API.Routes() {
		want = append(want, r.Method+" "+r.Pattern+" "+r.Function)
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("infra/terraform/routes.json:\n%v\nroute table:\n%v", got, want)
	}
}
