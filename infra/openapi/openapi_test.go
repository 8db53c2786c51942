package openapi

import (
	"bufio"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"cloudmarket/shared/app"
	"cloudmarket/shared/httpapi"
)

func document(t *testing.T) []byte {
	t.Helper()
	raw, err := Document(app.Catalogue, httpapi.Shapes)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// Every catalogue route has its request and response types, and no entry is
// left for a route that is gone.
func TestEveryRouteHasAShape(t *testing.T) {
	routes := map[string]bool{}
	for _, fn := range app.Catalogue {
		for _, rt := range fn.Routes {
			key := rt.Method + " " + rt.Pattern
			routes[key] = true
			if _, ok := httpapi.Shapes[key]; !ok {
				t.Errorf("%s (function %s) has no entry in httpapi.Shapes (shared/httpapi/shapes.go)", key, fn.Name)
			}
		}
	}
	for key := range httpapi.Shapes {
		if !routes[key] {
			t.Errorf("httpapi.Shapes has %s, which no catalogue function serves", key)
		}
	}
}

// The document is valid OpenAPI 3.1: it parses into a model and validates
// against the specification's own schema.
func TestDocumentIsValidOpenAPI31(t *testing.T) {
	doc, err := libopenapi.NewDocument(document(t))
	if err != nil {
		t.Fatal(err)
	}
	if v := doc.GetVersion(); v != "3.1.0" {
		t.Fatalf("version %q", v)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("model: %v", err)
	}
	if n := model.Model.Paths.PathItems.Len(); n == 0 {
		t.Fatal("no paths")
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("%s: %s", e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("  %s at %s (line %d)", se.Reason, se.KeywordLocation, se.Line)
			}
		}
	}
}

// apiRoute reads a route cell of API.md's tables: "GET /v1/x/{id}",
// "GET /v1/x?status=" and "POST /v1/v/{id}/confirm · /dismiss" (the same
// method, the last segment replaced).
var apiRoute = regexp.MustCompile(`^(GET|POST|PATCH|PUT|DELETE) (/\S*)$`)

func apiMDRoutes(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("API.md is not beside the repository (%v): nothing to compare with", err)
	}
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		cell := strings.TrimSpace(strings.Split(line, "|")[1])
		method, prev := "", ""
		for _, part := range strings.Split(cell, "·") {
			part = strings.Trim(strings.TrimSpace(part), "`")
			if m := apiRoute.FindStringSubmatch(part); m != nil {
				method, prev = m[1], m[2]
			} else if strings.HasPrefix(part, "/") && method != "" {
				prev = prev[:strings.LastIndex(prev, "/")] + part
			} else {
				break
			}
			p, _, _ := strings.Cut(prev, "?")
			if strings.HasPrefix(p, "/v1/") {
				seen[method+" "+p] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// Every route API.md lists is in the document.
func TestDocumentHasEveryAPIMDRoute(t *testing.T) {
	routes := apiMDRoutes(t, "../../../shared/API.md")
	if len(routes) < 30 {
		t.Fatalf("read only %d routes from API.md: has its table format changed?", len(routes))
	}
	doc, err := libopenapi.NewDocument(document(t))
	if err != nil {
		t.Fatal(err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		method, path, _ := strings.Cut(r, " ")
		item, ok := model.Model.Paths.PathItems.Get(path)
		if !ok || item.GetOperations().GetOrZero(strings.ToLower(method)) == nil {
			t.Errorf("API.md's %s is not in the OpenAPI document", r)
		}
	}
}
