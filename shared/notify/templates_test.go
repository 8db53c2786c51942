package notify

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

var variable = regexp.MustCompile(`\{([0-9]+)\}`)

// SMS templates as Tencent Cloud SMS review takes them: no signature in the
// body (SMS adds the approved one), variables {1}…{n} each once and in a row
// of numbers without gaps, never two variables side by side, and text around
// them that says what the message is about.
func TestSMSTemplatesPassReviewRules(t *testing.T) {
	for name, text := range Templates {
		if _, isEmail := Subjects[name]; isEmail {
			continue
		}
		if strings.ContainsAny(text, "【】") {
			t.Errorf("%s carries a signature: %q", name, text)
		}
		seen := map[string]int{}
		for _, m := range variable.FindAllStringSubmatch(text, -1) {
			seen[m[1]]++
		}
		for i := 1; i <= len(seen); i++ {
			if seen[fmt.Sprint(i)] != 1 {
				t.Errorf("%s: variable {%d} appears %d times; variables are {1}…{%d}, each once", name, i, seen[fmt.Sprint(i)], len(seen))
			}
		}
		if strings.Contains(text, "}{") {
			t.Errorf("%s: two variables side by side", name)
		}
		if fixed := strings.TrimSpace(variable.ReplaceAllString(text, "")); len([]rune(fixed)) < 8 {
			t.Errorf("%s: too little fixed text around the variables: %q", name, text)
		}
		if n := len([]rune(text)); n > 500 {
			t.Errorf("%s: %d characters", name, n)
		}
	}
}
