package generate

import (
	"os"
	"strings"
	"testing"

	"cloudmarket/shared/notify"
)

// The README lists every template text to register, as the code has it.
func TestREADMEListsEveryTemplate(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := messages()
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range msgs["sms"] {
		if row := "| `" + name + "` | " + text + " |"; !strings.Contains(string(readme), row) {
			t.Errorf("README's Messages to register lacks or differs for %s: want the row\n%s", name, row)
		}
	}
	for name, text := range msgs["email"] {
		if row := "| `" + name + "` | " + notify.Subjects[name] + " | " + text + " |"; !strings.Contains(string(readme), row) {
			t.Errorf("README's Messages to register lacks or differs for %s: want the row\n%s", name, row)
		}
	}
}
