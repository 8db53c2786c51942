package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tencentyun/scf-go-lib/functioncontext"

	"cloudmarket/shared/observe"
)

// logLines decodes the JSON lines written to buf.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		lines = append(lines, m)
	}
	return lines
}

// A request answers with SCF's request ID, writes one access line (route
// pattern, method, status, latency, caller) and one metric line, and every
// line it logs — here an internal error's — carries that request ID.
func TestEveryRequestLogsOneAccessLineWithSCFRequestID(t *testing.T) {
	var buf bytes.Buffer
	h := testHandler(t)
	h.Log = slog.New(observe.NewHandler(slog.NewJSONHandler(&buf, nil)))
	h.Routes = append(h.Routes, Route{Method: "GET", Pattern: "/v1/broken/{id}", Function: "b", Handle: func(context.Context, *Request) (Reply, error) {
		return Reply{}, errors.New("the database went away")
	}})
	tok, _ := Mint([]byte("s"), "42", []string{"provider"}, time.Hour, time.Now())
	ctx := functioncontext.NewContext(context.Background(), &functioncontext.FunctionContext{RequestID: "scf-req-7"})
	ev := `{"body":"{\"n\":3}","headers":{"authorization":"Bearer ` + tok + `"},"httpMethod":"POST","path":"/v1/things/a1","queryString":{}}`
	resp := h.Serve(ctx, []byte(ev))
	if resp.StatusCode != 200 || resp.Headers["X-Request-Id"] != "scf-req-7" {
		t.Fatalf("%+v", resp)
	}
	lines := logLines(t, &buf)
	if len(lines) != 2 {
		t.Fatalf("want an access line and a metric line, got %v", lines)
	}
	acc := lines[0]
	want := map[string]any{"msg": "access", "route": "POST /v1/things/{id}", "method": "POST", "path": "/v1/things/a1",
		"status": float64(200), "caller": "42", "function": "t", "requestId": "scf-req-7"}
	for k, v := range want {
		if acc[k] != v {
			t.Errorf("access line %s = %v, want %v (%v)", k, acc[k], v, acc)
		}
	}
	if ms, ok := acc["latencyMs"].(float64); !ok || ms < 0 {
		t.Errorf("access line latencyMs = %v", acc["latencyMs"])
	}
	if m := lines[1]; m["msg"] != "metric" || m["metric"] != "api.request" || m["route"] != "POST /v1/things/{id}" || m["status"] != "200" || m["requestId"] != "scf-req-7" {
		t.Errorf("metric line %v", m)
	}

	buf.Reset()
	ctx = functioncontext.NewContext(context.Background(), &functioncontext.FunctionContext{RequestID: "scf-req-8"})
	resp = h.Serve(ctx, []byte(`{"headers":{"authorization":"Bearer `+tok+`"},"httpMethod":"GET","path":"/v1/broken/x","queryString":{}}`))
	if resp.StatusCode != 500 || resp.Headers["X-Request-Id"] != "scf-req-8" || !strings.Contains(resp.Body, `"requestId":"scf-req-8"`) {
		t.Fatalf("%+v", resp)
	}
	lines = logLines(t, &buf)
	if len(lines) != 3 || lines[0]["msg"] != "internal error" || lines[1]["msg"] != "access" || lines[1]["status"] != float64(500) {
		t.Fatalf("want the error, the access and the metric line: %v", lines)
	}
	for _, l := range lines {
		if l["requestId"] != "scf-req-8" {
			t.Errorf("a line without the request's ID: %v", l)
		}
	}
}

// Without SCF's context (the emulator, tests) the gateway's or a new ID is
// used, and a request to no route still gets its access line.
func TestAccessLineForAnUnmatchedRoute(t *testing.T) {
	var buf bytes.Buffer
	h := testHandler(t)
	h.Log = slog.New(observe.NewHandler(slog.NewJSONHandler(&buf, nil)))
	resp := h.Serve(context.Background(), []byte(`{"requestContext":{"requestId":"gw-9"},"httpMethod":"GET","path":"/v1/nowhere","headers":{}}`))
	if resp.StatusCode != 404 || resp.Headers["X-Request-Id"] != "gw-9" {
		t.Fatalf("%+v", resp)
	}
	acc := logLines(t, &buf)[0]
	if acc["msg"] != "access" || acc["route"] != "unmatched" || acc["path"] != "/v1/nowhere" || acc["status"] != float64(404) || acc["requestId"] != "gw-9" {
		t.Errorf("%v", acc)
	}
}
