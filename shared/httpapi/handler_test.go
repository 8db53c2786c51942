package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"cloudmarket/shared/clock"
	"cloudmarket/shared/market"
	"cloudmarket/shared/operation"
	"cloudmarket/shared/store"
)

func testHandler(t testing.TB) *Handler {
	st, err := store.OpenMemory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	echo := func(_ context.Context, r *Request) (Reply, error) {
		var in struct {
			N int `json:"n"`
		}
		if err := r.Decode(&in); err != nil {
			return Reply{}, err
		}
		return Reply{Status: 200, Body: map[string]any{"n": in.N, "id": r.Params["id"], "who": r.Caller.Account}}, nil
	}
	return &Handler{
		Routes:   []Route{{Method: "POST", Pattern: "/v1/things/{id}", Function: "t", Roles: []string{market.RoleProvider}, Handle: echo}},
		Verifier: HS256([]byte("s")), Operations: &operation.Service{Store: st, Clock: clock.System{}}, Clock: clock.System{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func TestServeBothEventShapes(t *testing.T) {
	h := testHandler(t)
	tok, _ := Mint([]byte("s"), "42", []string{"provider"}, time.Hour, time.Now())
	functionURL := `{"body":"{\"n\":3}","headers":{"authorization":"Bearer ` + tok + `"},"httpMethod":"POST","path":"/v1/things/a1","queryString":{}}`
	apigw := `{"requestContext":{"requestId":"gw-1"},"body":"eyJuIjozfQ==","isBase64Encoded":true,"headers":{"Authorization":"Bearer ` + tok + `"},"httpMethod":"post","path":"/v1/things/a1","queryString":{"x":["1","2"]}}`
	for _, ev := range []string{functionURL, apigw} {
		resp := h.Serve(context.Background(), []byte(ev))
		if resp.StatusCode != 200 || resp.Body != `{"id":"a1","n":3,"who":"42"}` || resp.Headers["X-Request-Id"] == "" {
			t.Fatalf("%+v", resp)
		}
	}
	if resp := h.Serve(context.Background(), []byte(apigw)); resp.Headers["X-Request-Id"] != "gw-1" {
		t.Fatalf("gateway request id not kept: %+v", resp.Headers)
	}
}

func TestServeErrors(t *testing.T) {
	h := testHandler(t)
	tok, _ := Mint([]byte("s"), "42", []string{"provider"}, time.Hour, time.Now())
	buyer, _ := Mint([]byte("s"), "43", []string{"buyer"}, time.Hour, time.Now())
	expired, _ := Mint([]byte("s"), "42", []string{"provider"}, time.Hour, time.Now().Add(-2*time.Hour))
	other, _ := Mint([]byte("other-secret"), "42", []string{"provider"}, time.Hour, time.Now())
	big := make([]byte, MaxBodyBytes+1)
	for i := range big {
		big[i] = ' '
	}
	cases := []struct {
		name, method, path, token, body string
		status                          int
		code                            string
	}{
		{"no token", "POST", "/v1/things/a", "", `{}`, 401, "AuthFailure"},
		{"expired", "POST", "/v1/things/a", expired, `{}`, 401, "AuthFailure"},
		{"wrong key", "POST", "/v1/things/a", other, `{}`, 401, "AuthFailure"},
		{"wrong role", "POST", "/v1/things/a", buyer, `{}`, 403, "UnauthorizedOperation"},
		{"unknown field", "POST", "/v1/things/a", tok, `{"m":1}`, 400, "InvalidParameter"},
		{"two objects", "POST", "/v1/things/a", tok, `{}{}`, 400, "InvalidParameter"},
		{"wrong type", "POST", "/v1/things/a", tok, `{"n":"x"}`, 400, "InvalidParameterValue"},
		{"empty body", "POST", "/v1/things/a", tok, ``, 400, "InvalidParameter"},
		{"too big", "POST", "/v1/things/a", tok, string(big), 400, "InvalidParameter.BodyTooLarge"},
		{"wrong method", "GET", "/v1/things/a", tok, ``, 404, "ResourceNotFound.Route"},
		{"no route", "POST", "/v1/nothing", tok, `{}`, 404, "ResourceNotFound.Route"},
	}
	for _, c := range cases {
		ev, _ := json.Marshal(map[string]any{"httpMethod": c.method, "path": c.path, "body": c.body, "headers": map[string]string{"Authorization": "Bearer " + c.token}})
		resp := h.Serve(context.Background(), ev)
		var body errorBody
		_ = json.Unmarshal([]byte(resp.Body), &body)
		if resp.StatusCode != c.status || body.Error.Code != c.code || body.Error.Message == "" || body.Error.RequestID != resp.Headers["X-Request-Id"] {
			t.Errorf("%s: %d %s", c.name, resp.StatusCode, resp.Body)
		}
	}
}

func TestPanicBecomesGeneric500(t *testing.T) {
	h := testHandler(t)
	h.Routes[0].Public = true
	h.Routes[0].Handle = func(context.Context, *Request) (Reply, error) { panic("secret internals") }
	resp := h.Serve(context.Background(), []byte(`{"httpMethod":"POST","path":"/v1/things/a","body":"{}"}`))
	if resp.StatusCode != 500 || !json.Valid([]byte(resp.Body)) || strings.Contains(resp.Body, "secret internals") {
		t.Fatalf("%+v", resp)
	}
}

// Whatever arrives, the handler answers a status from the table with a JSON
// body and a nil Go error.
func FuzzServe(f *testing.F) {
	h := testHandler(f)
	f.Add([]byte(`{"httpMethod":"POST","path":"/v1/things/a","body":"{}"}`))
	f.Add([]byte(`{"httpMethod":"POST","path":"/v1/things/a","isBase64Encoded":true,"body":"!!"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		out, err := h.Invoke(context.Background(), payload)
		if err != nil {
			t.Fatal(err)
		}
		var resp Response
		if err := json.Unmarshal(out, &resp); err != nil || !json.Valid([]byte(resp.Body)) {
			t.Fatalf("response %s", out)
		}
		switch resp.StatusCode {
		case 200, 400, 401, 403, 404, 409:
		default:
			t.Fatalf("status %d for %q", resp.StatusCode, payload)
		}
	})
}
