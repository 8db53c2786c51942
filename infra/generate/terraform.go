package generate

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"

	"cloudmarket/shared/app"
	"cloudmarket/shared/notify"
)

// terraformInputs writes what infra/terraform reads besides routes.json: every
// function's name (the alarms watch each) and the message templates to
// register with SMS and SES (shared/notify).
func terraformInputs(catalogue []app.Function, files map[string][]byte) error {
	names := make([]string, 0, len(catalogue))
	for _, fn := range catalogue {
		names = append(names, fn.Name)
	}
	var err error
	if files["infra/terraform/functions.json"], err = indentJSON(names); err != nil {
		return err
	}
	msgs, err := messages()
	if err != nil {
		return err
	}
	files["infra/terraform/messages.json"], err = indentJSON(msgs)
	return err
}

var smsVariable = regexp.MustCompile(`\{([0-9]+)\}`)

// messages splits the templates by channel: the e-mail ones are those with a
// subject. SES names variables {{name}}; the sender passes them as "1", "2"…
func messages() (map[string]map[string]string, error) {
	out := map[string]map[string]string{"sms": {}, "email": {}}
	for name, text := range notify.Templates {
		if _, isEmail := notify.Subjects[name]; isEmail {
			out["email"][name] = smsVariable.ReplaceAllString(text, "{{$1}}")
			continue
		}
		out["sms"][name] = text
	}
	for name := range notify.Subjects {
		if _, ok := notify.Templates[name]; !ok {
			return nil, fmt.Errorf("notify.Subjects names %q, which has no template", name)
		}
	}
	return out, nil
}

// indentJSON is stable output: maps are sorted by encoding/json, slices keep
// their order.
func indentJSON(v any) ([]byte, error) {
	if s, ok := v.([]string); ok {
		s = append([]string(nil), s...)
		sort.Strings(s)
		v = s
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
