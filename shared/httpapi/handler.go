package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"

	"cloudmarket/shared/clock"
	"cloudmarket/shared/fault"
	"cloudmarket/shared/ids"
	"cloudmarket/shared/market"
	"cloudmarket/shared/operation"
)

// MaxBodyBytes bounds a request body; nothing in the API needs more.
const MaxBodyBytes = 64 * 1024

// MaxIdempotencyKey is API.md's limit on Idempotency-Key.
const MaxIdempotencyKey = 255

// Request is one authenticated call.
type Request struct {
	Method    string
	Path      string
	Params    map[string]string // path parameters, e.g. {id}
	Caller    market.Actor
	RequestID string
	body      []byte
	event     *Event
}

// Query returns a query parameter.
func (r *Request) Query(name string) string { return r.event.query(name) }

// Header returns a request header, case-insensitively.
func (r *Request) Header(name string) string { return r.event.header(name) }

// HTTPHeader returns all request headers in canonical form.
func (r *Request) HTTPHeader() http.Header {
	h := http.Header{}
	for k, v := range r.event.Headers {
		h.Set(k, firstString(v))
	}
	return h
}

// Decode reads the JSON body into v strictly: field names exactly as the API
// spells them, each once, no null body, plain text (checkStrict); unknown
// fields, trailing data and wrong types are refused with a message naming the
// problem.
func (r *Request) Decode(v any) error {
	if len(bytes.TrimSpace(r.body)) == 0 {
		return fault.New(fault.InvalidParameter, "The request body must be a JSON object.")
	}
	if err := checkStrict(r.body, reflect.TypeOf(v)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fault.New(fault.InvalidParameter, "The request body must hold exactly one JSON object.")
	}
	return nil
}

func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return fault.New(fault.InvalidParameter, "The request body must be a JSON object.")
		}
		return fault.New(fault.InvalidParameterValue, "Field %q must be a JSON %s.", field, jsonKind(typeErr.Type.Kind().String()))
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return fault.New(fault.InvalidParameter, "The request body is not valid JSON: %v.", err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fault.New(fault.InvalidParameter, "Unknown field %s in the request body; check its spelling against the API.", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return fault.New(fault.InvalidParameter, "The request body could not be read: %v.", err)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "number (integer)"
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	}
	return "object"
}

// Reply is an endpoint's successful answer.
type Reply struct {
	Status int
	Body   any // JSON, or a File
}

// File is a reply body sent as it is (a CSV export) rather than as JSON.
type File struct {
	ContentType string
	Name        string
	Data        []byte
}

// Endpoint serves one route.
type Endpoint func(ctx context.Context, r *Request) (Reply, error)

// Route maps one method and path pattern to a function and its endpoint.
// Patterns use {name} segments.
type Route struct {
	Method   string
	Pattern  string
	Function string   // the SCF function that serves it
	Roles    []string // any of these; empty = any signed-in caller
	Public   bool     // no token needed (the payment system's callback)
	// PaymentSystem: errors also carry the payment system's own fields
	// {"code": "FAIL", "message"} beside the API's envelope.
	PaymentSystem bool
	Handle        Endpoint
}

// Match tells whether path fits the pattern and extracts its parameters.
func (rt Route) Match(path string) (map[string]string, bool) {
	ps := strings.Split(strings.Trim(rt.Pattern, "/"), "/")
	xs := strings.Split(strings.Trim(path, "/"), "/")
	if len(ps) != len(xs) {
		return nil, false
	}
	params := map[string]string{}
	for i, p := range ps {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			if xs[i] == "" {
				return nil, false
			}
			params[p[1:len(p)-1]] = xs[i]
		} else if p != xs[i] {
			return nil, false
		}
	}
	return params, true
}

// Handler serves the routes of one function. It implements scf-go-lib's
// cloudfunction.Handler, so a function's main starts it as it is, and the
// local emulator calls the very same value.
type Handler struct {
	Routes   []Route
	Verifier *Verifier
	// Operations keeps the Idempotency-Key records.
	Operations *operation.Service
	Clock      clock.Clock
	Log        *slog.Logger
}

// Invoke implements cloudfunction.Handler: event in, response out, nil error.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	resp := h.Serve(ctx, payload)
	out, err := json.Marshal(resp)
	if err != nil { // a Response always marshals; keep the contract anyway
		return []byte(`{"statusCode":500,"headers":{"Content-Type":"application/json"},"body":"{}"}`), nil
	}
	return out, nil
}

// Serve handles one event and never panics.
func (h *Handler) Serve(ctx context.Context, payload []byte) (resp Response) {
	requestID := ids.New(ids.Request, h.Clock.Now())
	defer func() {
		if p := recover(); p != nil {
			h.Log.Error("panic in handler", "requestId", requestID, "panic", p, "stack", string(debug.Stack()))
			resp = h.errorResponse(fmt.Errorf("panic: %v", p), requestID)
		}
	}()
	ev, err := ParseEvent(payload)
	if err != nil {
		return h.errorResponse(fault.New(fault.InvalidParameter, "The event is not an HTTP request: %v.", err), requestID)
	}
	if ev.RequestContext != nil && ev.RequestContext.RequestID != "" {
		requestID = ev.RequestContext.RequestID
	}
	status, body, file, err := h.dispatch(ctx, ev, requestID)
	if err != nil {
		resp := h.errorResponse(err, requestID)
		if rt, _, rerr := h.route(ev); rerr == nil && rt.PaymentSystem {
			resp.Body = paymentSystemError(resp.Body)
		}
		return resp
	}
	resp = h.response(status, body, requestID)
	if file != nil { // sent as it is, not as JSON
		resp.Headers["Content-Type"] = file.ContentType
		resp.Headers["Content-Disposition"] = `attachment; filename="` + file.Name + `"`
	}
	return resp
}

func (h *Handler) response(status int, body []byte, requestID string) Response {
	headers := map[string]string{"X-Request-Id": requestID}
	if len(body) > 0 {
		headers["Content-Type"] = "application/json; charset=utf-8"
	}
	return Response{StatusCode: status, Headers: headers, Body: string(body)}
}

func (h *Handler) errorResponse(err error, requestID string) Response {
	status, body := errorReply(err, requestID, h.Log)
	data, _ := json.Marshal(body)
	return h.response(status, data, requestID)
}

// paymentSystemError adds WeChat Pay's {"code":"FAIL","message"} to an error
// envelope, so the payment system reads the failure in its own terms.
func paymentSystemError(envelope string) string {
	var e errorBody
	if json.Unmarshal([]byte(envelope), &e) != nil {
		return envelope
	}
	out, _ := json.Marshal(map[string]any{"code": "FAIL", "message": e.Error.Message, "error": e.Error})
	return string(out)
}

func (h *Handler) route(ev *Event) (Route, map[string]string, error) {
	var allowed []string
	for _, rt := range h.Routes {
		params, ok := rt.Match(ev.Path)
		if !ok {
			continue
		}
		if rt.Method == ev.HTTPMethod {
			return rt, params, nil
		}
		allowed = append(allowed, rt.Method)
	}
	if len(allowed) > 0 {
		return Route{}, nil, fault.New(fault.ResourceNotFound+".Route", "%s is not served on %s; use %s.", ev.HTTPMethod, ev.Path, strings.Join(allowed, " or "))
	}
	return Route{}, nil, fault.New(fault.ResourceNotFound+".Route", "No route %s %s.", ev.HTTPMethod, ev.Path)
}

func (h *Handler) dispatch(ctx context.Context, ev *Event, requestID string) (int, []byte, *File, error) {
	rt, params, err := h.route(ev)
	if err != nil {
		return 0, nil, nil, err
	}
	body, err := ev.body()
	if err != nil {
		return 0, nil, nil, fault.New(fault.InvalidParameter, "The body is marked base64 but does not decode.")
	}
	if len(body) > MaxBodyBytes {
		// A front end may have cut the body at the limit: name the limit, not a
		// size that may be the cut one.
		return 0, nil, nil, fault.New(fault.InvalidParameter+".BodyTooLarge", "The request body is larger than %d bytes (64 KiB), the most accepted; files go to object storage (POST /v1/license-uploads), not in the body.", MaxBodyBytes)
	}
	req := &Request{Method: ev.HTTPMethod, Path: ev.Path, Params: params, RequestID: requestID, body: body, event: ev}
	if !rt.Public {
		if req.Caller, err = h.Verifier.Verify(ev.header("Authorization")); err != nil {
			return 0, nil, nil, err
		}
		if len(rt.Roles) > 0 && !req.Caller.Has(rt.Roles...) {
			return 0, nil, nil, fault.Forbidden("%s %s needs the role %s.", rt.Method, rt.Pattern, strings.Join(rt.Roles, " or "))
		}
	}
	key := ev.header("Idempotency-Key")
	if rt.Method != http.MethodPost || key == "" {
		reply, err := rt.Handle(ctx, req)
		if err != nil {
			return 0, nil, nil, err
		}
		if f, ok := reply.Body.(File); ok {
			return reply.Status, f.Data, &f, nil
		}
		status, body, err := encode(reply)
		return status, body, nil, err
	}
	status, body, err := h.idempotent(ctx, rt, req, key)
	return status, body, nil, err
}

func encode(r Reply) (int, []byte, error) {
	if r.Body == nil {
		return r.Status, nil, nil
	}
	data, err := json.Marshal(r.Body)
	return r.Status, data, err
}

// idempotent runs a POST under its Idempotency-Key: the first outcome is stored
// with a hash of the request, in the operation's own transaction, and replayed
// for the same key and request; another request under the same key is refused.
// The record is inserted first: a repeat is found by its duplicate key (its
// work rolled back), so a first request reads nothing extra.
func (h *Handler) idempotent(ctx context.Context, rt Route, req *Request, key string) (int, []byte, error) {
	if len(key) > MaxIdempotencyKey {
		return 0, nil, fault.Invalid("IdempotencyKey", "Idempotency-Key is %d characters; at most %d are accepted.", len(key), MaxIdempotencyKey)
	}
	hash := requestHash(req)
	replay := func(rec operation.IdempotencyRecord) (int, []byte, error) {
		if rec.RequestHash != hash {
			return 0, nil, fault.Failed("IdempotencyKeyReused", "Idempotency-Key %q was already used for a different request; use a new key for a new request.", key)
		}
		return rec.Reply.Status, rec.Reply.Body, nil
	}
	// lookup finds the outcome stored by an earlier or concurrent twin after
	// this run failed: a repeat may fail where the first succeeded.
	lookup := func(err error) (int, []byte, error) {
		if rec, ok := operation.Replay(err); ok {
			return replay(rec)
		}
		rec, found, lerr := h.Operations.LookupIdempotent(ctx, req.Caller.Account, key)
		if lerr != nil {
			return 0, nil, lerr
		}
		if found {
			return replay(rec)
		}
		return 0, nil, err
	}
	claim := &operation.IdempotencyClaim{Caller: req.Caller.Account, Key: key, RequestHash: hash, Now: h.Clock.Now()}
	reply, err := rt.Handle(operation.WithIdempotency(ctx, claim), req)
	if err != nil {
		return lookup(err)
	}
	if stored, ok := claim.Recorded(); ok {
		return stored.Status, stored.Body, nil
	}
	status, body, err := encode(reply)
	if err != nil {
		return 0, nil, err
	}
	if err := h.Operations.RecordIdempotent(ctx, claim, operation.StoredReply{Status: status, Body: body}); err != nil {
		return lookup(err)
	}
	return status, body, nil
}

// requestHash identifies "the same request": method, path and the body with
// insignificant whitespace removed.
func requestHash(r *Request) string {
	var compact bytes.Buffer
	body := r.body
	if json.Compact(&compact, r.body) == nil {
		body = compact.Bytes()
	}
	sum := sha256.Sum256([]byte(r.Method + " " + r.Path + "\n" + string(body)))
	return hex.EncodeToString(sum[:])
}

// Do runs an operation and answers status with view(result). Under an
// Idempotency-Key the same rendering is stored in the operation's transaction.
func Do[T any](ctx context.Context, status int, view func(T) any, op func(context.Context) (T, error)) (Reply, error) {
	return DoStatus(ctx, func(T) int { return status }, view, op)
}

// DoStatus is Do for an operation whose status depends on its result (201 for
// a new record, 200 for one recorded before).
func DoStatus[T any](ctx context.Context, status func(T) int, view func(T) any, op func(context.Context) (T, error)) (Reply, error) {
	if c := operation.ClaimFrom(ctx); c != nil {
		c.Render = func(result any) (operation.StoredReply, error) {
			res, ok := result.(T)
			if !ok { // an operation whose transaction returns another type than it does
				var want T
				return operation.StoredReply{}, fmt.Errorf("httpapi: the operation's transaction returned %T, the endpoint renders %T", result, want)
			}
			s, body, err := encode(Reply{Status: status(res), Body: view(res)})
			return operation.StoredReply{Status: s, Body: body}, err
		}
	}
	res, err := op(ctx)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: status(res), Body: view(res)}, nil
}

// encodeCursor and decodeCursor carry a list's position in ?cursor=: an
// opaque token of the position's JSON.
func encodeCursor(position any) string {
	raw, _ := json.Marshal(position)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeCursor(c string, position any) bool {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil && json.Unmarshal(raw, position) == nil
}

func badCursor() error {
	return fault.Invalid("Cursor", "cursor is not one this API returned; start again without it.")
}

// limit reads ?limit= (default 50, max 200).
func limit(r *Request) (int, error) {
	v := r.Query("limit")
	if v == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 200 {
		return 0, fault.Invalid("Limit", "limit must be an integer from 1 to 200, got %q.", v)
	}
	return n, nil
}
