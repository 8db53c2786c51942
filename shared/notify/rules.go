package notify

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// MaxSMSParam is the most characters Tencent Cloud SMS takes in one variable
// of a notification (non-verification) template. Chinese characters,
// letters, digits, punctuation and spaces each count as one.
const MaxSMSParam = 6

var smsVariable = regexp.MustCompile(`\{([0-9]+)\}`)

// SMSVariables is how many distinct variables ({1}…{n}) a template has.
func SMSVariables(text string) int {
	seen := map[string]bool{}
	for _, m := range smsVariable.FindAllStringSubmatch(text, -1) {
		seen[m[1]] = true
	}
	return len(seen)
}

// CheckSMS refuses an SMS that Tencent Cloud SMS would refuse for its
// parameters: an unknown or e-mail-only template, a parameter count that does
// not match the template's variables, a parameter longer than MaxSMSParam
// characters, or a link in a parameter. Both the SMS sender and the outbox
// check it, so a message that could not go out in production fails locally too.
func CheckSMS(template string, params []string) error {
	text, ok := Templates[template]
	if !ok {
		return fmt.Errorf("notify: unknown SMS template %q", template)
	}
	if _, isEmail := Subjects[template]; isEmail {
		return fmt.Errorf("notify: %q is an e-mail template; it is not registered for SMS", template)
	}
	if want := SMSVariables(text); len(params) != want {
		return fmt.Errorf("notify: SMS template %q takes %d parameters, got %d", template, want, len(params))
	}
	for i, p := range params {
		if n := utf8.RuneCountInString(p); n > MaxSMSParam {
			return fmt.Errorf("notify: SMS template %q parameter {%d} is %d characters; a notification SMS variable is at most %d", template, i+1, n, MaxSMSParam)
		}
		if lower := strings.ToLower(p); strings.Contains(lower, "://") || strings.Contains(lower, "www.") {
			return fmt.Errorf("notify: SMS template %q parameter {%d} carries a link; SMS variables may not", template, i+1)
		}
	}
	return nil
}
