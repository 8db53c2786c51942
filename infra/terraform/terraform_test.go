// Package terraform_test checks the Terraform configuration without terraform,
// which is installed neither here nor in CI: every .tf file parses and is in
// `terraform fmt` style, every reference resolves, every resource, data source
// and argument is one the provider documents (testdata/provider_arguments.txt),
// module calls pass exactly their modules' variables, and the gateway serves
// the catalogue's routes.
package terraform_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"cloudmarket/shared/app"
	"cloudmarket/shared/operation"
)

// module is one folder of .tf files and what it declares.
type module struct {
	dir       string
	files     map[string]*hclsyntax.Body
	variables map[string]*hclsyntax.Block
	outputs   map[string]bool
	locals    map[string]bool
	resources map[string]bool // type.name
	data      map[string]bool // type.name
	calls     map[string]*hclsyntax.Block
}

// schema is the provider's documented arguments: "resource T", "resource
// T.block", "data T", "backend cos", "provider tencentcloud".
type schema map[string]map[string]bool

func loadSchema(t *testing.T) schema {
	t.Helper()
	f, err := os.Open("testdata/provider_arguments.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := schema{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, args, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("provider_arguments.txt: %q has no colon", line)
		}
		if s[key] == nil {
			s[key] = map[string]bool{}
		}
		for _, a := range strings.Fields(args) {
			s[key][a] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return s
}

// metaArguments are Terraform's own, valid in every resource and data block.
var metaArguments = map[string]bool{"count": true, "for_each": true, "depends_on": true, "provider": true, "lifecycle": true}

// loadModule parses every .tf file of dir; a parse error or a file not in
// fmt style is a problem.
func loadModule(dir string) (*module, []string) {
	m := &module{dir: dir, files: map[string]*hclsyntax.Body{}, variables: map[string]*hclsyntax.Block{},
		outputs: map[string]bool{}, locals: map[string]bool{}, resources: map[string]bool{}, data: map[string]bool{}, calls: map[string]*hclsyntax.Block{}}
	var problems []string
	paths, _ := filepath.Glob(filepath.Join(dir, "*.tf"))
	for _, path := range paths {
		src, err := os.ReadFile(path)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if formatted := hclwrite.Format(src); !bytes.Equal(formatted, src) {
			problems = append(problems, fmt.Sprintf("%s: not in terraform fmt style", path))
		}
		file, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
		if diags.HasErrors() {
			problems = append(problems, diags.Error())
			continue
		}
		body := file.Body.(*hclsyntax.Body)
		m.files[path] = body
		for _, b := range body.Blocks {
			switch b.Type {
			case "variable":
				m.variables[b.Labels[0]] = b
			case "output":
				m.outputs[b.Labels[0]] = true
			case "locals":
				for name := range b.Body.Attributes {
					m.locals[name] = true
				}
			case "resource":
				m.resources[b.Labels[0]+"."+b.Labels[1]] = true
			case "data":
				m.data[b.Labels[0]+"."+b.Labels[1]] = true
			case "module":
				m.calls[b.Labels[0]] = b
			}
		}
	}
	if len(paths) == 0 {
		problems = append(problems, dir+": no .tf files")
	}
	return m, problems
}

// check loads the module at dir and every local module it calls, and returns
// what is wrong with them.
func check(dir string, s schema) []string {
	seen := map[string]*module{}
	var problems []string
	var load func(dir string) *module
	load = func(dir string) *module {
		if m, ok := seen[dir]; ok {
			return m
		}
		m, p := loadModule(dir)
		seen[dir] = m
		problems = append(problems, p...)
		for name, call := range m.calls {
			src, ok := literalString(call.Body.Attributes["source"])
			if !ok || !strings.HasPrefix(src, "./") {
				problems = append(problems, fmt.Sprintf("%s: module %q: source must be a local path", dir, name))
				continue
			}
			load(filepath.Join(dir, src))
		}
		return m
	}
	load(dir)
	dirs := make([]string, 0, len(seen))
	for d := range seen {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		problems = append(problems, checkModule(seen[d], seen, s)...)
	}
	return problems
}

func checkModule(m *module, all map[string]*module, s schema) []string {
	var problems []string
	report := func(rng hcl.Range, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s:%d: %s", rng.Filename, rng.Start.Line, fmt.Sprintf(format, args...)))
	}
	paths := make([]string, 0, len(m.files))
	for p := range m.files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, path := range paths {
		body := m.files[path]
		for _, b := range body.Blocks {
			switch b.Type {
			case "resource", "data":
				kind := b.Type
				if !strings.HasPrefix(b.Labels[0], "tencentcloud_") {
					report(b.DefRange(), "%s %s: only the tencentcloud provider is used", kind, b.Labels[0])
				}
				checkArguments(b.Body, kind+" "+b.Labels[0], s, report)
			case "terraform":
				for _, inner := range b.Body.Blocks {
					if inner.Type == "backend" {
						checkArguments(inner.Body, "backend "+inner.Labels[0], s, report)
					}
				}
			case "provider":
				checkArguments(b.Body, "provider "+b.Labels[0], s, report)
			case "module":
				checkCall(m, b, all, report)
			}
		}
		checkReferences(m, body, all, report)
	}
	return problems
}

// checkArguments checks the attributes and blocks of body against key's
// documented arguments, and one level of nested blocks against key.block.
func checkArguments(body *hclsyntax.Body, key string, s schema, report func(hcl.Range, string, ...any)) {
	allowed, ok := s[key]
	if !ok {
		report(body.SrcRange, "%s is not in testdata/provider_arguments.txt", key)
		return
	}
	isResource := strings.HasPrefix(key, "resource ") || strings.HasPrefix(key, "data ")
	for name, attr := range body.Attributes {
		if !allowed[name] && !(isResource && metaArguments[name]) {
			report(attr.SrcRange, "%s has no argument %q", key, name)
		}
	}
	for _, b := range body.Blocks {
		name, inner := b.Type, b.Body
		if name == "dynamic" {
			name = b.Labels[0]
			for _, c := range b.Body.Blocks {
				if c.Type == "content" {
					inner = c.Body
				}
			}
		}
		if name == "lifecycle" && isResource {
			continue
		}
		if !allowed[name] {
			report(b.DefRange(), "%s has no block %q", key, name)
			continue
		}
		if nested, ok := s[key+"."+name]; ok {
			for attr, a := range inner.Attributes {
				if !nested[attr] {
					report(a.SrcRange, "%s.%s has no argument %q", key, name, attr)
				}
			}
		}
	}
}

// checkCall: a module call passes only its variables, and all that have no
// default.
func checkCall(m *module, call *hclsyntax.Block, all map[string]*module, report func(hcl.Range, string, ...any)) {
	src, _ := literalString(call.Body.Attributes["source"])
	target := all[filepath.Join(m.dir, src)]
	if target == nil {
		return
	}
	for name, attr := range call.Body.Attributes {
		if name == "source" || metaArguments[name] {
			continue
		}
		if target.variables[name] == nil {
			report(attr.SrcRange, "module %q has no variable %q", call.Labels[0], name)
		}
	}
	for name, v := range target.variables {
		if _, hasDefault := v.Body.Attributes["default"]; !hasDefault && call.Body.Attributes[name] == nil {
			report(call.DefRange(), "module %q: variable %q is required and not passed", call.Labels[0], name)
		}
	}
}

// checkReferences resolves every variable an expression of body refers to.
func checkReferences(m *module, body *hclsyntax.Body, all map[string]*module, report func(hcl.Range, string, ...any)) {
	var walk func(b *hclsyntax.Body, iterators map[string]bool, blockType string)
	walk = func(b *hclsyntax.Body, iterators map[string]bool, blockType string) {
		for name, attr := range b.Attributes {
			if blockType == "variable" && name == "type" {
				continue // a type constraint, not references
			}
			for _, tr := range attr.Expr.Variables() {
				if msg := resolve(m, tr, iterators, all); msg != "" {
					report(tr.SourceRange(), "%s", msg)
				}
			}
		}
		for _, inner := range b.Blocks {
			its := iterators
			if inner.Type == "dynamic" {
				its = map[string]bool{inner.Labels[0]: true}
				for k := range iterators {
					its[k] = true
				}
			}
			walk(inner.Body, its, inner.Type)
		}
	}
	walk(body, map[string]bool{}, "")
}

func resolve(m *module, tr hcl.Traversal, iterators map[string]bool, all map[string]*module) string {
	root := tr.RootName()
	attr := func(i int) string {
		if i < len(tr) {
			if a, ok := tr[i].(hcl.TraverseAttr); ok {
				return a.Name
			}
		}
		return ""
	}
	switch root {
	case "path", "each", "count", "self", "terraform":
		return ""
	case "var":
		if m.variables[attr(1)] == nil {
			return fmt.Sprintf("var.%s is not declared", attr(1))
		}
	case "local":
		if !m.locals[attr(1)] {
			return fmt.Sprintf("local.%s is not declared", attr(1))
		}
	case "module":
		call := m.calls[attr(1)]
		if call == nil {
			return fmt.Sprintf("module.%s is not declared", attr(1))
		}
		src, _ := literalString(call.Body.Attributes["source"])
		if target := all[filepath.Join(m.dir, src)]; target != nil && attr(2) != "" && !target.outputs[attr(2)] {
			return fmt.Sprintf("module.%s has no output %q", attr(1), attr(2))
		}
	case "data":
		if !m.data[attr(1)+"."+attr(2)] {
			return fmt.Sprintf("data.%s.%s is not declared", attr(1), attr(2))
		}
	default:
		if iterators[root] {
			return ""
		}
		if !m.resources[root+"."+attr(1)] {
			return fmt.Sprintf("%s.%s is not declared", root, attr(1))
		}
	}
	return ""
}

func literalString(attr *hclsyntax.Attribute) (string, bool) {
	if attr == nil {
		return "", false
	}
	v, diags := attr.Expr.Value(nil)
	if diags.HasErrors() || !v.Type().Equals(v.Type()) || !v.IsKnown() || v.IsNull() {
		return "", false
	}
	if v.Type().FriendlyName() != "string" {
		return "", false
	}
	return v.AsString(), true
}

func TestConfigurationIsValid(t *testing.T) {
	for _, p := range check(".", loadSchema(t)) {
		t.Error(p)
	}
}

// The checker finds each kind of mistake in a deliberately broken module.
func TestCheckerFindsMistakes(t *testing.T) {
	problems := strings.Join(check("testdata/broken", loadSchema(t)), "\n")
	for _, want := range []string{
		"not in terraform fmt style",
		"var.missing is not declared",
		"local.nowhere is not declared",
		"tencentcloud_vpc.other is not declared",
		`resource tencentcloud_vpc has no argument "cidr"`,
		`resource tencentcloud_cos_bucket.cors_rules has no argument "origins"`,
		"resource tencentcloud_made_up is not in testdata/provider_arguments.txt",
		`module "child" has no variable "unknown"`,
		`module "child": variable "needed" is required and not passed`,
		`module.child has no output "absent"`,
		`backend cos has no argument "bucket_name"`,
	} {
		if !strings.Contains(problems, want) {
			t.Errorf("the checker did not report %q; it reported:\n%s", want, problems)
		}
	}
}

// The gateway routes exactly the catalogue's routes, each to its function, and
// straight to the function (its Function URL), not through an SCF plugin.
func TestGatewayRoutesAreTheCatalogue(t *testing.T) {
	type route struct{ Method, Path, Function string }
	raw, err := os.ReadFile("routes.json")
	if err != nil {
		t.Fatal(err)
	}
	var got []route
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	var want []route
	for _, fn := range app.Catalogue {
		for _, r := range fn.Routes {
			want = append(want, route{r.Method, r.Pattern, fn.Name})
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("routes.json is not the catalogue's routes: run make generate\n got %v\nwant %v", got, want)
	}

	root, problems := loadModule(".")
	gw, more := loadModule("modules/gateway")
	if problems = append(problems, more...); len(problems) > 0 {
		t.Fatal(problems)
	}
	var routesLocal, passed string
	for _, body := range root.files {
		for _, b := range body.Blocks {
			if b.Type == "locals" && b.Body.Attributes["routes"] != nil {
				routesLocal = source(t, b.Body.Attributes["routes"])
			}
			if b.Type == "module" && b.Labels[0] == "gateway" && b.Body.Attributes["routes"] != nil {
				passed = source(t, b.Body.Attributes["routes"])
			}
		}
	}
	if !strings.Contains(routesLocal, `file("${path.module}/routes.json")`) || passed != "local.routes" {
		t.Errorf("the gateway module must be given routes.json: local.routes = %q, routes = %q", routesLocal, passed)
	}
	var upstream, routeService string
	for _, body := range gw.files {
		for _, b := range body.Blocks {
			if b.Type == "resource" && b.Labels[0] == "tencentcloud_tse_cngw_service" {
				upstream, _ = literalString(b.Body.Attributes["upstream_type"])
			}
			if b.Type == "resource" && b.Labels[0] == "tencentcloud_tse_cngw_route" {
				routeService = source(t, b.Body.Attributes["service_id"])
				if f := source(t, b.Body.Attributes["for_each"]); f != "local.routes" {
					t.Errorf("routes are made for %s, want local.routes (every route of routes.json)", f)
				}
			}
		}
	}
	if upstream != "HostIP" {
		t.Errorf("the gateway's services have upstream_type %q; they must call the Function URLs (HostIP), not SCF through a plugin", upstream)
	}
	if !strings.Contains(routeService, "[each.value.function]") {
		t.Errorf("a route's service is %q, not its own function's", routeService)
	}
}

func source(t *testing.T, attr *hclsyntax.Attribute) string {
	t.Helper()
	src, err := os.ReadFile(attr.SrcRange.Filename)
	if err != nil {
		t.Fatal(err)
	}
	r := attr.Expr.Range()
	return string(src[r.Start.Byte:r.End.Byte])
}

// blocks finds the resource blocks of a type in a module.
func blocks(t *testing.T, dir, typ string) map[string]*hclsyntax.Block {
	t.Helper()
	m, problems := loadModule(dir)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	out := map[string]*hclsyntax.Block{}
	for _, body := range m.files {
		for _, b := range body.Blocks {
			if b.Type == "resource" && b.Labels[0] == typ {
				out[b.Labels[1]] = b
			}
		}
	}
	return out
}

// MongoDB admits the functions' security group and nothing else, and the
// instance is in that group only.
func TestMongoDBIsReachableOnlyFromTheFunctions(t *testing.T) {
	rules := blocks(t, "modules/network", "tencentcloud_security_group_rule_set")["mongodb"]
	if rules == nil {
		t.Fatal("no rule set for the MongoDB security group")
	}
	accepts := 0
	for _, b := range rules.Body.Blocks {
		if b.Type != "ingress" {
			continue
		}
		action, _ := literalString(b.Body.Attributes["action"])
		if action != "ACCEPT" {
			continue
		}
		accepts++
		src := b.Body.Attributes["source_security_id"]
		if src == nil || source(t, src) != "tencentcloud_security_group.functions.id" || b.Body.Attributes["cidr_block"] != nil {
			t.Errorf("MongoDB accepts traffic from something else than the functions' security group (line %d)", b.DefRange().Start.Line)
		}
	}
	if accepts != 1 {
		t.Errorf("%d accepting ingress rules on MongoDB, want exactly the functions'", accepts)
	}
	db := blocks(t, "modules/mongodb", "tencentcloud_mongodb_instance")["main"]
	if db == nil || source(t, db.Body.Attributes["security_groups"]) != "var.security_group_ids" {
		t.Fatal("the MongoDB instance is not put in the given security groups")
	}
	root, _ := loadModule(".")
	for _, body := range root.files {
		for _, b := range body.Blocks {
			if b.Type == "module" && b.Labels[0] == "mongodb" {
				if got := source(t, b.Body.Attributes["security_group_ids"]); got != "[module.network.mongodb_security_group_id]" {
					t.Errorf("MongoDB's security groups are %s", got)
				}
			}
		}
	}
}

var actionList = regexp.MustCompile(`action\s*=\s*\[([^\]]*)\]`)

// The execution role may do what the code does and no more: no wildcard
// action, COS only on the bucket's objects.
func TestExecutionRoleIsLeastPrivilege(t *testing.T) {
	policies := blocks(t, "modules/cam", "tencentcloud_cam_policy")
	if len(policies) == 0 {
		t.Fatal("no policies")
	}
	for name, p := range policies {
		doc := source(t, p.Body.Attributes["document"])
		actions := actionList.FindAllStringSubmatch(doc, -1)
		if len(actions) == 0 {
			t.Errorf("policy %s lists no actions", name)
		}
		for _, a := range actions {
			for _, action := range strings.Split(a[1], ",") {
				action = strings.Trim(strings.TrimSpace(action), `"`)
				if action == "*" || strings.HasSuffix(action, ":*") || !strings.HasPrefix(action, "name/") {
					t.Errorf("policy %s grants %q: name each action", name, action)
				}
			}
		}
		if strings.Contains(doc, "cos:") && !strings.Contains(doc, `resource = ["qcs::cos:${var.region}:uid/${var.app_id}:${var.cos_bucket}/*"]`) {
			t.Errorf("policy %s grants COS beyond the bucket's objects: %s", name, doc)
		}
	}
}

// Browsers upload straight to COS (CORS for the console's origins, PUT
// allowed) and uploads never finished are removed.
func TestBucketTakesBrowserUploadsAndExpiresAbandonedOnes(t *testing.T) {
	b := blocks(t, "modules/cos", "tencentcloud_cos_bucket")["main"]
	if b == nil {
		t.Fatal("no bucket")
	}
	var cors, abort bool
	for _, inner := range b.Body.Blocks {
		switch inner.Type {
		case "cors_rules":
			cors = source(t, inner.Body.Attributes["allowed_origins"]) == "var.allowed_origins" &&
				strings.Contains(source(t, inner.Body.Attributes["allowed_methods"]), `"PUT"`)
		case "lifecycle_rules":
			for _, r := range inner.Body.Blocks {
				abort = abort || r.Type == "abort_incomplete_multipart_upload"
			}
		}
	}
	if !cors || !abort {
		t.Errorf("CORS for browser PUTs: %v; abandoned uploads expire: %v", cors, abort)
	}
}

// The queue Terraform creates, and the one the alarm watches, is the topic the
// code produces to and apply-payment consumes.
func TestQueueTopicIsTheCodes(t *testing.T) {
	root, problems := loadModule(".")
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	want := `"` + operation.PaymentTopic + `"`
	for _, body := range root.files {
		for _, b := range body.Blocks {
			if b.Type != "module" {
				continue
			}
			switch b.Labels[0] {
			case "ckafka":
				if got := source(t, b.Body.Attributes["topics"]); got != "["+want+"]" {
					t.Errorf("CKafka topics %s, want [%s]", got, want)
				}
			case "monitor":
				if got := source(t, b.Body.Attributes["consumer_topic"]); got != want {
					t.Errorf("the lag alarm watches %s, want %s", got, want)
				}
			}
		}
	}
}
