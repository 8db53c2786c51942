// Package smoke checks a deployed stage with read-only requests: it changes
// nothing, so it may run against production after every deploy (make smoke).
package smoke

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Check is one request and what its answer must be.
type Check struct {
	Name   string
	Path   string
	Token  bool   // send the caller's token
	Status int    // the status it must answer
	Code   string // the error code it must carry, for an error
}

// Checks are the smoke test: the API answers signed-in reads, refuses an
// unsigned one, names an unknown route, and every answer is JSON with a
// request ID.
var Checks = []Check{
	{Name: "products list", Path: "/v1/products?limit=1", Token: true, Status: http.StatusOK},
	{Name: "refunds list", Path: "/v1/refunds?limit=1", Token: true, Status: http.StatusOK},
	{Name: "unsigned request refused", Path: "/v1/products?limit=1", Status: http.StatusUnauthorized, Code: "AuthFailure"},
	{Name: "unknown product", Path: "/v1/products/prd_smoke_does_not_exist", Token: true, Status: http.StatusNotFound, Code: "ResourceNotFound"},
}

// Result is one check's outcome.
type Result struct {
	Check     Check
	Status    int
	RequestID string
	Latency   time.Duration
	Err       error // nil: passed
}

// Run performs every check against base (e.g. https://api.example.com) with
// token as the caller's bearer token.
func Run(ctx context.Context, client *http.Client, base, token string) []Result {
	base = strings.TrimRight(base, "/")
	out := make([]Result, 0, len(Checks))
	for _, c := range Checks {
		out = append(out, run(ctx, client, base, token, c))
	}
	return out
}

func run(ctx context.Context, client *http.Client, base, token string, c Check) Result {
	res := Result{Check: c}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+c.Path, nil)
	if err != nil {
		res.Err = err
		return res
	}
	if c.Token {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	resp, err := client.Do(req)
	res.Latency = time.Since(start)
	if err != nil {
		res.Err = err
		return res
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		res.Err = err
		return res
	}
	res.Status, res.RequestID = resp.StatusCode, resp.Header.Get("X-Request-Id")
	var doc struct {
		Error *struct {
			Code      string `json:"code"`
			RequestID string `json:"requestId"`
		} `json:"error"`
	}
	switch {
	case resp.StatusCode != c.Status:
		res.Err = fmt.Errorf("status %d, want %d: %.200s", resp.StatusCode, c.Status, body)
	case res.RequestID == "":
		res.Err = fmt.Errorf("no X-Request-Id header")
	case json.Unmarshal(body, &doc) != nil:
		res.Err = fmt.Errorf("the body is not JSON: %.200s", body)
	case c.Code != "" && (doc.Error == nil || !strings.HasPrefix(doc.Error.Code, c.Code)):
		res.Err = fmt.Errorf("error code %+v, want %s", doc.Error, c.Code)
	case c.Code != "" && doc.Error.RequestID != res.RequestID:
		res.Err = fmt.Errorf("the error's requestId %q is not the header's %q", doc.Error.RequestID, res.RequestID)
	}
	return res
}
