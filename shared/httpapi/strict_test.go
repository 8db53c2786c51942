package httpapi

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"cloudmarket/shared/fault"
)

type strictSample struct {
	Name  string `json:"name"`
	Count *int64 `json:"amountFen"`
	Inner *struct {
		X string `json:"x"`
	} `json:"inner"`
	List []struct {
		ID string `json:"id"`
	} `json:"list"`
}

// What encoding/json lets through silently is refused: other-case names,
// repeated keys, a null body, and text that hides what it says.
func TestStrictDecoding(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		body, code string
	}{
		"exact":                    {`{"name":"张三\t李四\n","amountFen":1,"inner":{"x":"a"},"list":[{"id":"1"},{"id":"2"}]}`, ""},
		"other case":               {`{"NAME":"a"}`, fault.InvalidParameter},
		"other case, nested":       {`{"inner":{"X":"a"}}`, fault.InvalidParameter},
		"other case, in a list":    {`{"list":[{"ID":"1"}]}`, fault.InvalidParameter},
		"repeated key":             {`{"amountFen":1,"amountFen":100000}`, fault.InvalidParameter},
		"repeated key, nested":     {`{"inner":{"x":"a","x":"b"}}`, fault.InvalidParameter},
		"null body":                {`null`, fault.InvalidParameter},
		"unknown field":            {`{"nmae":"a"}`, fault.InvalidParameter},
		"NUL":                      {`{"name":"a\u0000b"}`, fault.InvalidParameterValue},
		"bell":                     {`{"name":"a\u0007"}`, fault.InvalidParameterValue},
		"C1 control":               {`{"name":"a\u0085"}`, fault.InvalidParameterValue},
		"bidi override":            {`{"name":"abc\u202edcba"}`, fault.InvalidParameterValue},
		"bidi isolate":             {`{"inner":{"x":"\u2066x"}}`, fault.InvalidParameterValue},
		"unpaired surrogate":       {`{"name":"\ud800"}`, fault.InvalidParameterValue},
		"invalid UTF-8":            {"{\"name\":\"\xff\xfe\"}", fault.InvalidParameter},
		"wrong type still refused": {`{"amountFen":"lots"}`, fault.InvalidParameterValue},
		"trailing data":            {`{"name":"a"} {}`, fault.InvalidParameter},
		"truncated":                {`{"name":"a"`, fault.InvalidParameter},
	}
	for name, c := range cases {
		var v strictSample
		err := (&Request{body: []byte(c.body)}).Decode(&v)
		if c.code == "" {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		e, ok := fault.As(err)
		if !ok || e.Category() != c.code || e.Message == "" {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
	}
	var v strictSample
	err := (&Request{body: []byte(`{"inner":{"X":"a"}}`)}).Decode(&v)
	if !strings.Contains(err.Error(), `"inner.x"`) {
		t.Errorf("the message should name the right spelling: %v", err)
	}
}

// The body limit names the limit, never a size a front end may have cut.
func TestBodyLimitMessage(t *testing.T) {
	h := testHandler(t)
	tok, _ := Mint([]byte("s"), "42", []string{"provider"}, time.Hour, time.Now())
	ev, _ := json.Marshal(map[string]any{"httpMethod": "POST", "path": "/v1/things/a", "body": strings.Repeat(" ", MaxBodyBytes+1), "headers": map[string]string{"Authorization": "Bearer " + tok}})
	resp := h.Serve(context.Background(), ev)
	if resp.StatusCode != 400 || !strings.Contains(resp.Body, "65536") || strings.Contains(resp.Body, "65537") {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
}
