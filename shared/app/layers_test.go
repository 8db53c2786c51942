package app

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The layers of DESIGN.md as an allowlist: dependencies point inwards.
const module = "cloudmarket/"

// domainBasics are the packages the domain may build on.
var domainBasics = []string{
	"cloudmarket/shared/money", "cloudmarket/shared/workday", "cloudmarket/shared/orgcode",
	"cloudmarket/shared/ids", "cloudmarket/shared/fault", "cloudmarket/shared/clock",
}

// pureLibraries are outside modules the domain may use: computation on
// values, no I/O (decimal rounding, the holiday tables, ULIDs, link syntax).
var pureLibraries = []string{
	"github.com/shopspring/decimal", "github.com/6tail/lunar-go/", "github.com/oklog/ulid/v2", "mvdan.cc/xurls/v2",
}

type pkgInfo struct {
	ImportPath string
	Imports    []string
	Standard   bool
}

func listPackages(t *testing.T) []pkgInfo {
	t.Helper()
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports,Standard", "cloudmarket/...").Output()
	if err != nil {
		t.Fatal(err)
	}
	var pkgs []pkgInfo
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkgInfo
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// standard tells a standard-library import path: no dot in its first element.
func standard(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".") && !strings.HasPrefix(path, module)
}

// ioPackages are the standard library's doors to the world; the domain takes
// what it needs as values (DESIGN.md: no I/O, no time.Now()).
var ioPackages = []string{"net", "net/http", "os", "os/exec", "database/sql", "syscall", "context"}

func allowedForDomain(imp string) bool {
	if slices.Contains(ioPackages, imp) {
		return false
	}
	if standard(imp) || slices.Contains(domainBasics, imp) {
		return true
	}
	for _, lib := range pureLibraries {
		if imp == lib || strings.HasPrefix(imp, lib) {
			return true
		}
	}
	return false
}

func TestLayers(t *testing.T) {
	pkgs := listPackages(t)
	if len(pkgs) < 10 {
		t.Fatalf("listed only %d packages", len(pkgs))
	}
	for _, p := range pkgs {
		for _, imp := range p.Imports {
			switch {
			// The domain: the standard library, the domain basics and pure libraries only.
			case p.ImportPath == "cloudmarket/shared/market" || slices.Contains(domainBasics, p.ImportPath):
				if !allowedForDomain(imp) && imp != "cloudmarket/shared/market" {
					t.Errorf("%s (domain) imports %s", p.ImportPath, imp)
				}
			// The HTTP adapter reaches data through the operations only.
			case p.ImportPath == "cloudmarket/shared/httpapi" && imp == "cloudmarket/shared/store":
				t.Errorf("httpapi imports store; go through operation")
			// Operations and the store know nothing of their callers.
			case (p.ImportPath == "cloudmarket/shared/operation" || p.ImportPath == "cloudmarket/shared/store") &&
				(imp == "cloudmarket/shared/httpapi" || imp == "cloudmarket/shared/app" || imp == "cloudmarket/shared/scf"):
				t.Errorf("%s imports its caller %s", p.ImportPath, imp)
			case p.ImportPath == "cloudmarket/shared/store" && imp == "cloudmarket/shared/operation":
				t.Errorf("store imports operation")
			}
			// Nothing shared depends on the local tooling in infra/.
			if strings.HasPrefix(p.ImportPath, "cloudmarket/shared/") && strings.HasPrefix(imp, "cloudmarket/infra/") {
				t.Errorf("%s imports %s", p.ImportPath, imp)
			}
		}
	}
}

// The rules above must be able to fail: a driver, an I/O package or an
// adapter in the domain is caught.
func TestLayerRulesCatchADriver(t *testing.T) {
	for _, imp := range []string{"go.mongodb.org/mongo-driver/bson", "github.com/256dpi/lungo", "net/http", "os", "cloudmarket/shared/store"} {
		if allowedForDomain(imp) {
			t.Errorf("%s would be allowed in the domain", imp)
		}
	}
	for _, imp := range []string{"time", "strings", "cloudmarket/shared/money", "github.com/shopspring/decimal"} {
		if !allowedForDomain(imp) {
			t.Errorf("%s must be allowed in the domain", imp)
		}
	}
}
