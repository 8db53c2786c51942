// Package openapi builds the API's OpenAPI 3.1 document from the function
// catalogue (routes, roles, which need a token) and the request and response
// types of each route (httpapi.Shapes), by reflection. The emulator serves it
// at /openapi.json.
package openapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"time"

	"cloudmarket/shared/app"
	"cloudmarket/shared/httpapi"
)

// Version is the document's info.version.
const Version = "1.0.0"

// Document is the OpenAPI document of the catalogue's routes.
func Document(catalogue []app.Function, shapes map[string]httpapi.Shape) ([]byte, error) {
	g := &generator{schemas: map[string]any{}, names: map[componentKey]string{}}
	paths := map[string]map[string]any{}
	var missing []string
	for _, fn := range catalogue {
		for _, rt := range fn.Routes {
			key := rt.Method + " " + rt.Pattern
			shape, ok := shapes[key]
			if !ok {
				missing = append(missing, key)
				continue
			}
			if paths[rt.Pattern] == nil {
				paths[rt.Pattern] = map[string]any{}
			}
			paths[rt.Pattern][strings.ToLower(rt.Method)] = g.operation(fn.Name, rt, shape)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("openapi: no entry in httpapi.Shapes for %s", strings.Join(missing, ", "))
	}
	g.schemas["Error"] = map[string]any{
		"type": "object", "required": []string{"error"},
		"properties": map[string]any{"error": map[string]any{
			"type": "object", "required": []string{"code", "message", "requestId"},
			"properties": map[string]any{
				"code":      map[string]any{"type": "string", "description": "Category.Detail, e.g. InvalidParameterValue.OrgCode"},
				"message":   map[string]any{"type": "string", "description": "what to fix"},
				"requestId": map[string]any{"type": "string"},
			},
		}},
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title": "cloudmarket", "version": Version,
			"description": "The cloud marketplace API. Times are RFC 3339 in Asia/Shanghai; money is integer fen. Every POST honours Idempotency-Key.",
		},
		"paths": paths,
		"components": map[string]any{
			"schemas": g.schemas,
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
			},
		},
	}
	return json.MarshalIndent(doc, "", "  ")
}

type generator struct {
	schemas map[string]any
	names   map[componentKey]string
}

// componentKey: a type used in a request body (strict) and in an answer gets
// two schemas, the request's closed to other fields, the answer's listing what
// is always present.
type componentKey struct {
	t      reflect.Type
	strict bool
}

func (g *generator) operation(function string, rt app.Route, shape httpapi.Shape) map[string]any {
	op := map[string]any{
		"operationId": operationID(rt.Method, rt.Pattern),
		"summary":     shape.Summary,
		"tags":        []string{function},
	}
	var desc []string
	if rt.Public {
		op["security"] = []any{}
		desc = append(desc, "No token: the payment system calls it, and the notification's own signature is verified.")
	} else {
		op["security"] = []any{map[string]any{"bearer": []string{}}}
		if len(rt.Roles) > 0 {
			desc = append(desc, "Roles: "+strings.Join(rt.Roles, ", ")+".")
		} else {
			desc = append(desc, "Any signed-in caller.")
		}
	}
	desc = append(desc, "Served by the function "+function+".")
	op["description"] = strings.Join(desc, " ")

	var params []any
	for _, seg := range strings.Split(rt.Pattern, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			params = append(params, map[string]any{"name": seg[1 : len(seg)-1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
	}
	for _, q := range shape.Query {
		s := map[string]any{"type": "string"}
		if q == "limit" {
			s = map[string]any{"type": "integer", "minimum": 1, "maximum": 200, "default": 50}
		}
		params = append(params, map[string]any{"name": q, "in": "query", "required": false, "schema": s})
	}
	if rt.Method == http.MethodPost {
		params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "required": false,
			"description": "A repeat with the same key and request answers the first outcome.", "schema": map[string]any{"type": "string", "maxLength": httpapi.MaxIdempotencyKey}})
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if shape.Request != nil {
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
			"application/json": map[string]any{"schema": g.schema(shape.Request, true)},
		}}
	}
	requestID := map[string]any{"X-Request-Id": map[string]any{"description": "The request's ID (SCF's), also in every log line.", "schema": map[string]any{"type": "string"}}}
	ok := map[string]any{"description": http.StatusText(shape.Status), "headers": requestID}
	switch {
	case shape.List != nil:
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": map[string]any{
			"type": "object", "required": []string{"items"},
			"properties": map[string]any{
				"items":      map[string]any{"type": "array", "items": g.schema(shape.List, false)},
				"nextCursor": map[string]any{"type": "string", "description": "pass as ?cursor= for the next page; absent on the last"},
			},
		}}}
	case shape.Response != nil:
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(shape.Response, false)}}
	}
	responses := map[string]any{fmt.Sprint(shape.Status): ok}
	if shape.Status == http.StatusCreated && strings.Contains(shape.Summary, "200") {
		again := map[string]any{"description": "recorded before", "headers": requestID}
		again["content"] = ok["content"]
		responses["200"] = again
	}
	responses["default"] = map[string]any{"description": "An error: its status and code follow API.md's table.", "headers": requestID,
		"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
	op["responses"] = responses
	return op
}

func operationID(method, pattern string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, seg := range strings.Split(strings.Trim(pattern, "/"), "/") {
		seg = strings.Trim(seg, "{}")
		for _, part := range strings.FieldsFunc(seg, func(r rune) bool { return r == '-' || r == '_' }) {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

var timeType = reflect.TypeFor[time.Time]()

// schema is t's JSON Schema. Named structs become components (by Go name;
// request bodies are strict: no other fields). A pointer may be null.
func (g *generator) schema(t reflect.Type, strict bool) map[string]any {
	nullable := false
	for t.Kind() == reflect.Pointer {
		t, nullable = t.Elem(), true
	}
	var s map[string]any
	switch {
	case t == timeType:
		s = map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.Struct && t.Name() != "":
		name := g.component(t, strict)
		s = map[string]any{"$ref": "#/components/schemas/" + name}
		if nullable {
			return map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
		}
		return s
	case t.Kind() == reflect.Struct:
		s = g.object(t, strict)
	case t.Kind() == reflect.String:
		s = map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		s = map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		s = map[string]any{"type": "integer"}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		s = map[string]any{"type": "number"}
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		s = map[string]any{"type": "array", "items": g.schema(t.Elem(), strict)}
	case t.Kind() == reflect.Map:
		s = map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem(), strict)}
	default: // interface: any JSON value
		return map[string]any{}
	}
	if nullable {
		s["type"] = []any{s["type"], "null"}
	}
	return s
}

func (g *generator) component(t reflect.Type, strict bool) string {
	key := componentKey{t, strict}
	if name, ok := g.names[key]; ok {
		return name
	}
	name := strings.ToUpper(t.Name()[:1]) + t.Name()[1:]
	if strict {
		name += "Input"
	}
	if _, taken := g.schemas[name]; taken {
		name = strings.ReplaceAll(t.PkgPath(), "/", ".") + "." + name
	}
	g.names[key] = name
	g.schemas[name] = map[string]any{} // placeholder: recursive types refer to it
	g.schemas[name] = g.object(t, strict)
	return name
}

// object lists t's JSON fields, embedded structs' fields inlined as
// encoding/json does.
func (g *generator) object(t reflect.Type, strict bool) map[string]any {
	props := map[string]any{}
	var required []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			props[name] = g.schema(f.Type, strict)
			// An answer always has its fields that are not omitempty.
			if !strict && !strings.Contains(opts, "omitempty") {
				required = append(required, name)
			}
		}
	}
	walk(t)
	s := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		sort.Strings(required)
		s["required"] = required
	}
	if strict {
		s["additionalProperties"] = false
	}
	return s
}
