// Package httpapi adapts SCF HTTP events to the operations: it parses both the
// API Gateway event and the Function URL event, authenticates, enforces roles,
// decodes strictly, applies Idempotency-Key, and maps errors to statuses in
// one table. A function's handler answers {statusCode, headers, body} and a nil
// Go error: a Go error would be a function failure, not an HTTP status.
package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// Event is the union of the two HTTP event shapes SCF delivers. The Function
// URL event is a subset of the API Gateway one (body, headers, httpMethod, path,
// queryString); the gateway adds requestContext, isBase64Encoded and
// *Parameters, which are read when present.
type Event struct {
	Body            string         `json:"body"`
	Headers         map[string]any `json:"headers"`
	HTTPMethod      string         `json:"httpMethod"`
	Path            string         `json:"path"`
	QueryString     map[string]any `json:"queryString"`
	IsBase64Encoded bool           `json:"isBase64Encoded"`
	RequestContext  *struct {
		RequestID string `json:"requestId"`
		SourceIP  string `json:"sourceIp"`
		Path      string `json:"path"`
	} `json:"requestContext,omitempty"`
}

// Response is what an HTTP function returns.
type Response struct {
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
}

// header returns a header case-insensitively (gateways differ in case).
func (e *Event) header(name string) string {
	for k, v := range e.Headers {
		if strings.EqualFold(k, name) {
			return firstString(v)
		}
	}
	return ""
}

// query returns a query parameter; repeated values come as arrays from some
// gateways, and the first one is taken.
func (e *Event) query(name string) string { return firstString(e.QueryString[name]) }

func firstString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		if len(x) > 0 {
			return firstString(x[0])
		}
	case float64, bool:
		return fmt.Sprint(x)
	}
	return ""
}

func (e *Event) body() ([]byte, error) {
	if e.IsBase64Encoded {
		return base64.StdEncoding.DecodeString(e.Body)
	}
	return []byte(e.Body), nil
}

// ParseEvent reads an HTTP event.
func ParseEvent(payload []byte) (*Event, error) {
	var e Event
	if err := json.Unmarshal(payload, &e); err != nil {
		return nil, err
	}
	if e.HTTPMethod == "" || e.Path == "" {
		return nil, fmt.Errorf("not an HTTP event: httpMethod and path are required")
	}
	e.HTTPMethod = strings.ToUpper(e.HTTPMethod)
	return &e, nil
}
