package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The README's curl blocks, run in order against the emulator exactly as a
// reader would type them: the walk cannot rot. Each command must answer the
// status its "#  → NNN" line shows (2xx when none) and the top-level fields
// that line quotes ("…" stands for the part that varies).
func TestREADMEWalk(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	e := start(t, true, "")
	w := &walker{e: e, root: "../..", vars: map[string]string{}}
	for _, block := range shellBlocks(string(readme)) {
		for _, c := range splitCommands(t, block) {
			w.run(c)
		}
	}
	if w.curls < 40 {
		t.Fatalf("only %d curl commands ran; is the walk still in the README?", w.curls)
	}
}

// shellBlocks returns the bodies of the ```sh fences.
func shellBlocks(md string) []string {
	var out []string
	for _, part := range strings.Split(md, "```sh\n")[1:] {
		body, _, _ := strings.Cut(part, "```")
		out = append(out, body)
	}
	return out
}

type command struct {
	text   string // the command, continuation lines joined
	expect string // the text after "→" of the comment lines below it
}

// splitCommands cuts a block into commands: backslash-newline continues a
// line, a single-quoted string may span lines, "#  → …" lines belong to the
// command above, other comments are dropped.
func splitCommands(t *testing.T, block string) []command {
	var out []command
	var cur strings.Builder
	inQuote := false
	for _, line := range strings.Split(block, "\n") {
		trimmed := strings.TrimSpace(line)
		if !inQuote && cur.Len() == 0 && strings.HasPrefix(trimmed, "#") {
			if _, exp, ok := strings.Cut(trimmed, "→"); ok && len(out) > 0 {
				out[len(out)-1].expect = strings.TrimSpace(exp)
			}
			continue
		}
		if !inQuote && cur.Len() == 0 && trimmed == "" {
			continue
		}
		cur.WriteString(line)
		inQuote = quoteOpen(cur.String())
		if inQuote {
			cur.WriteString("\n")
			continue
		}
		if strings.HasSuffix(line, "\\") {
			s := cur.String()
			cur.Reset()
			cur.WriteString(s[:len(s)-1])
			continue
		}
		out = append(out, command{text: cur.String()})
		cur.Reset()
	}
	if cur.Len() > 0 {
		t.Fatalf("README: unterminated command %q", cur.String())
	}
	return out
}

// quoteOpen tells whether s ends inside a single-quoted string.
func quoteOpen(s string) bool {
	in, dq := false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'' && !dq:
			in = !in
		case c == '"' && !in:
			dq = !dq
		case c == '\\' && !in:
			i++
		case c == '#' && !in && !dq && (i == 0 || s[i-1] == ' '):
			return false // a comment: the rest of the line is not shell
		}
	}
	return in
}

type walker struct {
	e       *env
	root    string
	vars    map[string]string
	answers []map[string]any // every JSON object answered, oldest first
	curls   int
}

var tokenCmd = regexp.MustCompile(`^make -s token ROLE=(\S+) SUB=(\S+)$`)

// words splits a command as a shell would: quotes, $VAR and $(make -s token …)
// expansions, and a trailing comment.
func (w *walker) words(s string) []string {
	t := w.e.t
	var out []string
	var cur strings.Builder
	have := false
	flush := func() {
		if have {
			out = append(out, cur.String())
		}
		cur.Reset()
		have = false
	}
	expand := func(s string, i int) (string, int) { // s[i] == '$'
		if strings.HasPrefix(s[i:], "$(") {
			end := strings.IndexByte(s[i:], ')')
			m := tokenCmd.FindStringSubmatch(s[i+2 : i+end])
			if m == nil {
				t.Fatalf("README: unsupported command substitution %q", s[i:i+end+1])
			}
			return w.e.token(m[2], m[1]), i + end + 1
		}
		j := i + 1
		for j < len(s) && (s[j] == '_' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9') {
			j++
		}
		v, ok := w.vars[s[i+1:j]]
		if !ok {
			t.Fatalf("README: $%s is used before it is set", s[i+1:j])
		}
		return v, j
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			flush()
			i++
		case c == '#' && !have: // a comment: the rest of the line
			return out
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			cur.WriteString(s[i+1 : i+1+end])
			have, i = true, i+end+2
		case c == '"':
			have = true
			for i++; s[i] != '"'; {
				switch {
				case s[i] == '\\':
					cur.WriteByte(s[i+1])
					i += 2
				case s[i] == '$':
					var v string
					v, i = expand(s, i)
					cur.WriteString(v)
				default:
					cur.WriteByte(s[i])
					i++
				}
			}
			i++
		case c == '$':
			var v string
			v, i = expand(s, i)
			cur.WriteString(v)
			have = true
		default:
			cur.WriteByte(c)
			have, i = true, i+1
		}
	}
	flush()
	return out
}

var placeholder = regexp.MustCompile(`<([A-Za-z][A-Za-z0-9]*)>`)

// fill replaces <NAME> by a variable and <field> by that field of the latest
// answer that has it.
func (w *walker) fill(s string) string {
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		name := m[1 : len(m)-1]
		if v, ok := w.vars[name]; ok {
			return v
		}
		for i := len(w.answers) - 1; i >= 0; i-- {
			if v, ok := w.answers[i][name].(string); ok {
				return v
			}
		}
		w.e.t.Fatalf("README: %s has no value yet", m)
		return ""
	})
}

var assignment = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)=(.*)$`)

func (w *walker) run(c command) {
	t := w.e.t
	args := w.words(c.text)
	switch {
	case len(args) == 0:
	case len(args) == 1 && assignment.MatchString(args[0]):
		m := assignment.FindStringSubmatch(args[0])
		w.vars[m[1]] = w.fill(m[2])
	case args[0] == "make":
		// make run / make test: the emulator is already running.
	case args[0] == "curl":
		w.curl(c, args[1:])
	default:
		t.Fatalf("README: a command the walk test cannot run: %q", c.text)
	}
}

func (w *walker) curl(c command, args []string) {
	t := w.e.t
	w.curls++
	method, url := "", ""
	var body io.Reader
	header := http.Header{}
	for i := 0; i < len(args); i++ {
		switch a := args[i]; a {
		case "-s":
		case "-X":
			i++
			method = args[i]
		case "-H":
			i++
			k, v, _ := strings.Cut(w.fill(args[i]), ":")
			header.Set(k, strings.TrimSpace(v))
		case "-d":
			i++
			body = strings.NewReader(w.fill(args[i]))
		case "--data-binary":
			i++
			data, err := os.ReadFile(filepath.Join(w.root, strings.TrimPrefix(args[i], "@")))
			if err != nil {
				t.Fatalf("README: %v", err)
			}
			body = bytes.NewReader(data)
		default:
			if strings.HasPrefix(a, "-") || url != "" {
				t.Fatalf("README: curl option the walk test does not know: %q in %q", a, c.text)
			}
			url = w.fill(a)
		}
	}
	if method == "" {
		method = map[bool]string{true: "POST", false: "GET"}[body != nil]
	}
	if rest, ok := strings.CutPrefix(url, "localhost:8080"); ok {
		url = w.e.emu.URL + rest
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatalf("README: %q: %v", c.text, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	// A GET may describe what happens "a moment later" (a queue consumer, the
	// local payment system): it is asked again until it matches, for a while.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if body != nil {
			req.Body = io.NopCloser(body)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("README: %q: %v", c.text, err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var answer map[string]any
		if json.Unmarshal(raw, &answer) != nil {
			answer = nil
		}
		if tx := resp.Header.Get("X-Transaction-Id"); tx != "" && resp.StatusCode == 204 {
			waitApplied(w.e, tx) // the reader's "a moment later"
		}
		problems := w.check(c, resp.StatusCode, answer, string(raw))
		if len(problems) > 0 && method == http.MethodGet && time.Now().Before(deadline) {
			continue
		}
		if answer != nil {
			w.answers = append(w.answers, answer)
		}
		for _, p := range problems {
			t.Error(p)
		}
		if len(problems) > 0 {
			t.FailNow()
		}
		return
	}
}

var (
	statusPrefix = regexp.MustCompile(`^(\d{3})\b`)
	quotedPair   = regexp.MustCompile(`"(\w+)":("(?:[^"\\]|\\.)*"|-?\d+|true|false|null)`)
)

// check compares an answer with its "→" line: the status, then each
// top-level "field":value the line quotes.
func (w *walker) check(c command, status int, answer map[string]any, raw string) []string {
	want := 0
	if m := statusPrefix.FindStringSubmatch(c.expect); m != nil {
		want, _ = strconv.Atoi(m[1])
	}
	if want == 0 && (status < 200 || status > 299) || want != 0 && status != want {
		return []string{fmt.Sprintf("README: %q answered %d %s (the README says %q)", c.text, status, raw, c.expect)}
	}
	var problems []string
	for _, m := range quotedPair.FindAllStringSubmatch(topLevel(c.expect), -1) {
		var v any
		if err := json.Unmarshal([]byte(m[2]), &v); err != nil {
			return []string{fmt.Sprintf("README: %q: %v", c.expect, err)}
		}
		got, ok := answer[m[1]]
		if s, isString := v.(string); isString {
			v = strings.NewReplacer("http://127.0.0.1:8080", w.e.emu.URL, "http://localhost:8080", w.e.emu.URL).Replace(s)
		}
		if s, isString := v.(string); isString && strings.Contains(s, "…") {
			parts := strings.Split(s, "…")
			gs, _ := got.(string)
			ok = ok && strings.HasPrefix(gs, parts[0]) && strings.HasSuffix(gs, parts[len(parts)-1])
		} else {
			ok = ok && fmt.Sprint(got) == fmt.Sprint(v)
		}
		if !ok {
			problems = append(problems, fmt.Sprintf("README: %q answered %s=%v, the README says %s", c.text, m[1], got, m[2]))
		}
	}
	return problems
}

// topLevel keeps the first {…} of s with its nested objects and arrays cut
// out, so only top-level fields are compared.
func topLevel(s string) string {
	start := strings.IndexByte(s, '{')
	if start < 0 {
		return ""
	}
	var out strings.Builder
	keep := func(c byte, depth int) {
		if depth == 1 {
			out.WriteByte(c)
		}
	}
	depth, inString := 0, false
	for i := start; i < len(s); i++ {
		c := s[i]
		switch {
		case inString:
			keep(c, depth)
			if c == '\\' && i+1 < len(s) {
				i++
				keep(s[i], depth)
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
			keep(c, depth)
		case c == '{' || c == '[':
			depth++
			keep(c, depth)
		case c == '}' || c == ']':
			keep(c, depth)
			if depth--; depth == 0 {
				return out.String()
			}
		default:
			keep(c, depth)
		}
	}
	return out.String()
}
