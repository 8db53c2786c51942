package app

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Manifest is the part of serverless.yml (Serverless Cloud Framework,
// component multi-scf) that the emulator and the consistency test read.
type Manifest struct {
	Component string `yaml:"component"`
	Inputs    struct {
		Runtime   string `yaml:"runtime"`
		Functions map[string]struct {
			Name    string `yaml:"name"`
			Handler string `yaml:"handler"`
			Runtime string `yaml:"runtime"`
		} `yaml:"functions"`
		Triggers []struct {
			Type       string `yaml:"type"`
			Function   string `yaml:"function"`
			Parameters struct {
				Name           string `yaml:"name"`
				CronExpression string `yaml:"cronExpression"`
			} `yaml:"parameters"`
		} `yaml:"triggers"`
	} `yaml:"inputs"`
}

// ManifestTimer is one timer trigger.
type ManifestTimer struct {
	Function string // function name (not its key)
	Cron     string // 7-field SCF cron
}

// ReadManifest parses serverless.yml.
func ReadManifest(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

// FunctionNames lists the deployed function names, sorted.
func (m *Manifest) FunctionNames() []string {
	var out []string
	for _, f := range m.Inputs.Functions {
		out = append(out, f.Name)
	}
	sort.Strings(out)
	return out
}

// TriggerFunctions lists the function names with a trigger of the given type.
func (m *Manifest) TriggerFunctions(kind string) []string {
	var out []string
	for _, t := range m.Inputs.Triggers {
		if t.Type == kind {
			out = append(out, m.Inputs.Functions[t.Function].Name)
		}
	}
	sort.Strings(out)
	return out
}

// Timers lists the timer triggers.
func (m *Manifest) Timers() []ManifestTimer {
	var out []ManifestTimer
	for _, t := range m.Inputs.Triggers {
		if t.Type == "timer" {
			out = append(out, ManifestTimer{Function: m.Inputs.Functions[t.Function].Name, Cron: t.Parameters.CronExpression})
		}
	}
	return out
}

// CronWithoutYear turns SCF's 7-field cron (sec min hour day month week year)
// into the 6 fields robfig/cron reads. Only "*" is accepted as the year: a
// schedule bound to a year would silently stop.
func CronWithoutYear(spec string) (string, error) {
	f := strings.Fields(spec)
	if len(f) != 7 {
		return "", fmt.Errorf("SCF cron %q must have 7 fields (sec min hour day month week year)", spec)
	}
	if f[6] != "*" {
		return "", fmt.Errorf("SCF cron %q: only * is supported as the year", spec)
	}
	return strings.Join(f[:6], " "), nil
}
