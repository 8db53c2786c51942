package generate

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"cloudmarket/infra/pack"
	"cloudmarket/shared/app"
)

// The schema of serverless.yml as the multi-scf component reads it: the keys
// of its configuration document (docs/configure.md) and of its inputs
// (src/interface/inputs.ts, which merges every top-level input into each
// function, so role and vpc may sit at either level). Decoding is strict: a
// key the component does not know fails, as a misspelt key would otherwise be
// ignored silently on deploy.
type slsFile struct {
	Component string    `yaml:"component"`
	Name      string    `yaml:"name"`
	App       string    `yaml:"app"`
	Stage     string    `yaml:"stage"`
	Inputs    slsInputs `yaml:"inputs"`
}

// slsBase is what an input and a function share (FaasBaseConfig, plus role).
type slsBase struct {
	Type              string        `yaml:"type"`
	Runtime           string        `yaml:"runtime"`
	MemorySize        int           `yaml:"memorySize"`
	Timeout           int           `yaml:"timeout"`
	Description       string        `yaml:"description"`
	NodeType          string        `yaml:"nodeType"`
	NodeSpec          string        `yaml:"nodeSpec"`
	Environments      []slsKeyValue `yaml:"environments"`
	Namespace         string        `yaml:"namespace"`
	Role              string        `yaml:"role"`
	Vpc               *slsVpc       `yaml:"vpc"`
	Cfs               []slsCfs      `yaml:"cfs"`
	Cls               *slsCls       `yaml:"cls"`
	Tags              []slsKeyValue `yaml:"tags"`
	Layers            []slsLayer    `yaml:"layers"`
	Eip               bool          `yaml:"eip"`
	PublicAccess      *bool         `yaml:"publicAccess"`
	InstallDependency bool          `yaml:"installDependency"`
	IgnoreTriggers    bool          `yaml:"ignoreTriggers"`
	AsyncRunEnable    bool          `yaml:"asyncRunEnable"`
	TraceEnable       bool          `yaml:"traceEnable"`
}

type slsInputs struct {
	slsBase            `yaml:",inline"`
	Src                slsSrc                 `yaml:"src"`
	Region             string                 `yaml:"region"`
	IsAutoPublish      bool                   `yaml:"isAutoPublish"`
	PublishDescription string                 `yaml:"publishDescription"`
	Functions          map[string]slsFunction `yaml:"functions"`
	Triggers           []slsTrigger           `yaml:"triggers"`
}

type slsSrc struct {
	Src     string   `yaml:"src"`
	Exclude []string `yaml:"exclude"`
	Bucket  string   `yaml:"bucket"`
	Object  string   `yaml:"object"`
}

type slsFunction struct {
	slsBase  `yaml:",inline"`
	Name     string `yaml:"name"`
	Src      string `yaml:"src"` // relative to inputs.src
	Handler  string `yaml:"handler"`
	Image    any    `yaml:"image"`
	MsgTTL   int    `yaml:"msgTTL"`
	RetryNum int    `yaml:"retryNum"`
}

type slsKeyValue struct {
	Key   string `yaml:"key"`
	Value string `yaml:"value"`
}

type slsVpc struct {
	VpcID    string `yaml:"vpcId"`
	SubnetID string `yaml:"subnetId"`
}

type slsCfs struct {
	CfsID          string `yaml:"cfsId"`
	MountInsID     string `yaml:"mountInsId"`
	LocalMountDir  string `yaml:"localMountDir"`
	RemoteMountDir string `yaml:"remoteMountDir"`
}

type slsCls struct {
	LogsetID string `yaml:"logsetId"`
	TopicID  string `yaml:"topicId"`
}

type slsLayer struct {
	Name    string `yaml:"name"`
	Version int    `yaml:"version"`
}

// slsTrigger's parameters depend on its type: decoded (strictly) by params.
type slsTrigger struct {
	Type       string    `yaml:"type"`
	Function   string    `yaml:"function"` // a key of inputs.functions
	Parameters yaml.Node `yaml:"parameters"`
}

type timerParams struct {
	Name           string `yaml:"name"`
	CronExpression string `yaml:"cronExpression"`
	Qualifier      string `yaml:"qualifier"`
	Argument       any    `yaml:"argument"`
	Enable         bool   `yaml:"enable"`
}

type ckafkaParams struct {
	Qualifier string `yaml:"qualifier"`
	Name      string `yaml:"name"` // the trigger's name: <instance ID>-<topic>
	Topic     string `yaml:"topic"`
	MaxMsgNum int    `yaml:"maxMsgNum"`
	Offset    string `yaml:"offset"`
	Retry     int    `yaml:"retry"`
	Timeout   int    `yaml:"timeout"` // seconds, at most 60
	Enable    bool   `yaml:"enable"`
}

// httpParams is a Function URL (the component's toolkit: trigger type http).
type httpParams struct {
	Name      string `yaml:"name"`
	Qualifier string `yaml:"qualifier"`
	AuthType  string `yaml:"authType"`
	NetConfig struct {
		EnableIntranet bool `yaml:"enableIntranet"`
		EnableExtranet bool `yaml:"enableExtranet"`
	} `yaml:"netConfig"`
	CorsConfig map[string]any `yaml:"corsConfig"`
}

func strictYAML(data []byte, v any) error {
	d := yaml.NewDecoder(bytes.NewReader(data))
	d.KnownFields(true)
	return d.Decode(v)
}

// typed decodes the parameters by the trigger's type.
func (tr slsTrigger) typed() (any, error) {
	var p any
	switch tr.Type {
	case "timer":
		p = &timerParams{}
	case "ckafka":
		p = &ckafkaParams{}
	case "http":
		p = &httpParams{}
	default:
		return nil, fmt.Errorf("trigger type %q is not one cloudmarket uses", tr.Type)
	}
	return p, tr.params(p)
}

func (tr slsTrigger) params(v any) error {
	data, err := yaml.Marshal(&tr.Parameters)
	if err != nil {
		return err
	}
	return strictYAML(data, v)
}

// SCF: letters, digits, _ and -, a letter first, a letter or digit last, 2–60.
var scfName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,58}[A-Za-z0-9]$`)

func TestServerlessYAMLSchema(t *testing.T) {
	t.Parallel()
	files, err := Files(app.Catalogue)
	if err != nil {
		t.Fatal(err)
	}
	var f slsFile
	if err := strictYAML(files["serverless.yml"], &f); err != nil {
		t.Fatalf("serverless.yml does not match the component's schema: %v", err)
	}
	in := f.Inputs
	for _, e := range in.Environments {
		if slices.Contains(RefundSettings, e.Key) {
			t.Errorf("%s is given to every function, not only those that pay refunds", e.Key)
		}
	}
	if f.Component != "multi-scf" || f.Stage != "${env:STAGE}" || in.Runtime != "Go1" {
		t.Fatalf("component %q stage %q runtime %q", f.Component, f.Stage, in.Runtime)
	}
	if in.Role != "${env:SCF_ROLE}" {
		t.Errorf("inputs.role is %q: every function needs the execution role", in.Role)
	}
	if in.Vpc == nil || in.Vpc.VpcID == "" || in.Vpc.SubnetID == "" {
		t.Error("inputs.vpc: MongoDB is reached inside the VPC")
	}
	// The component zips inputs.src and cuts each function's src out of it:
	// together they must name the folder make package writes the binary to.
	const stage = "dev"
	srcRoot := strings.ReplaceAll(in.Src.Src, "${env:STAGE}", stage)
	if len(in.Functions) != len(app.Catalogue) {
		t.Fatalf("%d functions, the catalogue has %d", len(in.Functions), len(app.Catalogue))
	}
	longest := strings.Repeat("s", pack.MaxStage)
	for _, fn := range app.Catalogue {
		fs, ok := in.Functions[Key(fn.Name)]
		if !ok {
			t.Errorf("%s: no function %s", fn.Name, Key(fn.Name))
			continue
		}
		if !strings.HasPrefix(fs.Src, "./") || strings.Contains(fs.Src, ".build") {
			t.Errorf("%s: src %q is not relative to inputs.src", fn.Name, fs.Src)
		}
		if got, want := path.Join(srcRoot, fs.Src), path.Join(".build", stage, "src", fn.Name); got != want {
			t.Errorf("%s: the component reads %s, make package writes %s", fn.Name, got, want)
		}
		if fs.Name != "cloudmarket-${env:STAGE}-"+fn.Name {
			t.Errorf("%s: name %q is not stage-qualified", fn.Name, fs.Name)
		}
		if n := strings.ReplaceAll(fs.Name, "${env:STAGE}", longest); !scfName.MatchString(n) {
			t.Errorf("%s: %q is no SCF function name for a %d-character stage", fn.Name, n, pack.MaxStage)
		}
		// The component replaces, not merges, a function's environments.
		want := 0
		if fn.Needs.Refunds || fn.Needs.NativePay {
			want = len(in.Environments) + len(RefundSettings)
		}
		if len(fs.Environments) != want || want > 0 && !slices.Equal(fs.Environments[:len(in.Environments)], in.Environments) {
			t.Errorf("%s: %d environments, want %d (every function's, then the refund settings)", fn.Name, len(fs.Environments), want)
		}
		for i, k := range RefundSettings {
			if want > 0 && fs.Environments[len(in.Environments)+i] != (slsKeyValue{k, "${env:" + k + "}"}) {
				t.Errorf("%s: environments lack %s", fn.Name, k)
			}
		}
		if fs.Handler != "main" || fs.Timeout != fn.Timeout || fs.Timeout < 0 || fs.Timeout > 900 {
			t.Errorf("%s: handler %q timeout %d", fn.Name, fs.Handler, fs.Timeout)
		}
	}
	triggers := map[string][]slsTrigger{}
	for _, tr := range in.Triggers {
		if _, ok := in.Functions[tr.Function]; !ok {
			t.Errorf("a %s trigger names function %q, not a key of inputs.functions", tr.Type, tr.Function)
		}
		triggers[tr.Function] = append(triggers[tr.Function], tr)
	}
	for _, fn := range app.Catalogue {
		trs := triggers[Key(fn.Name)]
		if len(trs) != 1 {
			t.Errorf("%s: %d triggers", fn.Name, len(trs))
			continue
		}
		if err := checkTrigger(fn, trs[0]); err != nil {
			t.Errorf("%s: %s trigger: %v", fn.Name, trs[0].Type, err)
		}
	}
}

func checkTrigger(fn app.Function, tr slsTrigger) error {
	if _, err := tr.typed(); err != nil {
		return err
	}
	switch {
	case fn.Timer != nil:
		var p timerParams
		if tr.Type != "timer" {
			return fmt.Errorf("want timer")
		}
		if err := tr.params(&p); err != nil {
			return err
		}
		if p.Name != fn.Timer.Trigger || p.CronExpression != fn.Timer.Cron || len(strings.Fields(p.CronExpression)) != 7 || !p.Enable {
			return fmt.Errorf("%+v", p)
		}
	case fn.Consumer != nil:
		var p ckafkaParams
		if tr.Type != "ckafka" {
			return fmt.Errorf("want ckafka")
		}
		if err := tr.params(&p); err != nil {
			return err
		}
		c := fn.Consumer
		if p.Name != "${env:CKAFKA_INSTANCE}-"+c.Topic || p.Topic != c.Topic || p.MaxMsgNum != c.BatchSize || p.Retry != c.Retries ||
			p.Offset != "latest" || p.Timeout < 1 || p.Timeout > 60 || !p.Enable {
			return fmt.Errorf("%+v", p)
		}
	case len(fn.Routes) > 0:
		var p httpParams
		if tr.Type != "http" {
			return fmt.Errorf("want http")
		}
		if err := tr.params(&p); err != nil {
			return err
		}
		// Reached through the gateway only: no public address of its own.
		if p.Name == "" || p.AuthType != "NONE" || !p.NetConfig.EnableIntranet || p.NetConfig.EnableExtranet {
			return fmt.Errorf("%+v", p)
		}
	default:
		return fmt.Errorf("the catalogue row has no trigger")
	}
	return nil
}

// The schema is strict: a key the component does not know, at any level,
// fails the test instead of being dropped on deploy.
func TestServerlessSchemaRejectsUnknownKeys(t *testing.T) {
	t.Parallel()
	files, err := Files(app.Catalogue)
	if err != nil {
		t.Fatal(err)
	}
	yml := string(files["serverless.yml"])
	for _, c := range []struct{ old, new string }{
		{"  runtime: Go1\n", "  runtime: Go1\n  exectionRole: x\n"},
		{"      handler: main\n", "      handler: main\n      codeUri: x\n"},
		{"        topic: ", "        topics: x\n        topic: "},
		{"        cronExpression: ", "        cron: x\n        cronExpression: "},
		{"        authType: NONE\n", "        authType: NONE\n        public: true\n"},
	} {
		if !strings.Contains(yml, c.old) {
			t.Fatalf("no %q in serverless.yml", c.old)
		}
		bad := strings.Replace(yml, c.old, c.new, 1)
		var f slsFile
		err := strictYAML([]byte(bad), &f)
		for _, tr := range f.Inputs.Triggers {
			if err == nil {
				_, err = tr.typed()
			}
		}
		if err == nil {
			t.Errorf("%q passed the schema", strings.TrimSpace(c.new))
		}
	}
}
