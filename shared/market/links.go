package market

import (
	"net/url"
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"mvdan.cc/xurls/v2"
)

// DefaultAllowedDomains are the marketplace's own cloud (R-LS2): links to them,
// and to their subdomains, are allowed in product text.
var DefaultAllowedDomains = []string{"cloud.tencent.com", "tencentcloud.com", "qcloud.com", "myqcloud.com", "tencent.com"}

// ExternalLinks returns the links in text whose host is not one of allowed
// (or a subdomain of one), in order of appearance, each once (R-LS3).
func ExternalLinks(text string, allowed []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, link := range findLinks(text) {
		host := linkHost(link)
		if host == "" || hostAllowed(host, allowed) || seen[link] {
			continue
		}
		seen[link] = true
		out = append(out, link)
	}
	return out
}

// linkHost extracts the lower-case host of a link, e-mail address or bare host.
func linkHost(link string) string {
	if at := strings.LastIndexByte(link, '@'); at >= 0 && !strings.Contains(link, "://") {
		return strings.ToLower(strings.TrimRight(link[at+1:], "."))
	}
	raw := link
	if !strings.Contains(raw, "://") {
		raw = "http://" + strings.TrimPrefix(raw, "//")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return strings.ToLower(link)
	}
	return strings.ToLower(strings.TrimRight(u.Hostname(), "."))
}

func hostAllowed(host string, allowed []string) bool {
	for _, d := range allowed {
		d = strings.ToLower(strings.TrimSpace(d))
		if d != "" && (host == d || strings.HasSuffix(host, "."+d)) {
			return true
		}
	}
	return false
}

// findLinks finds what xurls.Relaxed() finds — leftmost-longest: URLs with a
// known scheme, host names ending in a real top-level domain (with port and
// path), e-mail addresses, IPv4 and IPv6 addresses — in one pass over text.
//
// Running the xurls expression itself is quadratic: after each match its
// leftmost-longest search keeps reading as long as the text could still make
// a longer host name, so "1.1.1.1.1…" re-reads the rest of the text once per
// address (8,000 characters: 9 s), and even a linear run costs microseconds
// per character with its 1,500-name alternation. Here the host-name structure
// is worked out once per label, and only the path after a host goes through a
// (small) expression, so every character is looked at a bounded number of
// times. xurls stays the source of the TLD and scheme lists.
func findLinks(text string) []string {
	sc := newLinkScanner(text)
	var out []string
	for i := 0; i < len(text); {
		if n := sc.longestAt(i); n > 0 {
			out = append(out, text[i:i+n])
			i += n
			continue
		}
		_, w := utf8.DecodeRuneInString(text[i:])
		i += w
	}
	return out
}

// linkTables are the lists the scanner looks names up in, built on first use so
// a binary that never checks a link does not pay for them.
type linkTables struct {
	asciiTLDs   map[string]bool // TLDs written in ASCII first: need a word break after (xurls' \b)
	unicodeTLDs map[string]bool
	maxTLD      int             // longest TLD, in bytes
	schemes     map[string]bool // followed by "://"
	noAuthority map[string]bool // followed by ":" (mailto, tel, …)
	maxScheme   int
	path        *regexp.Regexp // xurls' path continuation, anchored
}

var tables = sync.OnceValue(func() *linkTables {
	t := &linkTables{asciiTLDs: map[string]bool{}, unicodeTLDs: map[string]bool{}, schemes: map[string]bool{}, noAuthority: map[string]bool{}}
	for _, tld := range append(append([]string{}, xurls.TLDs...), xurls.PseudoTLDs...) {
		f := fold(tld)
		if tld[0] < utf8.RuneSelf {
			t.asciiTLDs[f] = true
		} else {
			t.unicodeTLDs[f] = true
		}
		t.maxTLD = max(t.maxTLD, len(f))
	}
	for _, s := range append(append([]string{}, xurls.Schemes...), xurls.SchemesUnofficial...) {
		t.schemes[fold(s)] = true
		t.maxScheme = max(t.maxScheme, len(s))
	}
	for _, s := range xurls.SchemesNoAuthority {
		t.noAuthority[fold(s)] = true
		t.maxScheme = max(t.maxScheme, len(s))
	}
	// With an empty scheme expression xurls returns its path continuation
	// alone; anchored, it reads only as far as the path can go.
	cont := regexp.MustCompile(`\A(?:` + pathContSource() + `)`)
	cont.Longest()
	t.path = cont
	return t
})

// foldRune maps r to one member of its case-folding orbit, the same for every
// member: what (?i) in the xurls expressions matches alike (k, K and the
// Kelvin sign; s, S and ſ).
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			r -= 'a' - 'A'
		}
		if r != 'K' && r != 'S' { // the two ASCII letters with a non-ASCII orbit member
			return r
		}
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}

func fold(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		b = utf8.AppendRune(b, foldRune(r))
	}
	return string(b)
}

// isFoldedLetter tells whether r is an ASCII letter under (?i).
func isFoldedLetter(r rune) bool { f := foldRune(r); return 'A' <= f && f <= 'Z' }

func pathContSource() string {
	re, err := xurls.StrictMatchingScheme("")
	if err != nil {
		panic(err) // a constant expression
	}
	return re.String()
}

// A label is a maximal run of letters, marks, digits and hyphens; labels
// joined by single dots make host names.
type label struct {
	start, end int
	next       int  // the label after a single dot, or -1
	lastOK     bool // ends with a letter, mark or digit
	firstOK    bool // starts with one
	tldEnd     int  // end of the TLD this label starts with, or -1
	reach      int  // end of the longest host name this label continues as a subdomain label, or -1
}

type linkScanner struct {
	text      string
	t         *linkTables
	labels    []label
	labelAt   []int32 // byte offset → its label, or -1
	localEnd  []int32 // byte offset → end of the e-mail local-part run it is in, or -1
	schemeEnd []int32 // byte offset → end of the scheme-character run it is in, or -1
}

func isLabelRune(r rune) bool {
	return r == '-' || unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsNumber(r)
}

func isIRIRune(r rune) bool { return r != '-' && isLabelRune(r) }

// isWordByte is regexp's \w, whose edges make \b.
func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isLocalByte(c byte) bool { return isWordByte(c) && c != '_' || strings.IndexByte("._%-+", c) >= 0 }

// isSchemeRune: [a-zA-Z0-9+.-] under (?i).
func isSchemeRune(r rune) bool {
	return '0' <= r && r <= '9' || r == '+' || r == '.' || r == '-' || isFoldedLetter(r)
}

// fillScheme records that the scheme-character run [from, to) ends at to.
func (sc *linkScanner) fillScheme(from, to int) {
	for k := from; k < to; k++ {
		sc.schemeEnd[k] = int32(to)
	}
	if to < len(sc.schemeEnd) {
		sc.schemeEnd[to] = -1
	}
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func newLinkScanner(text string) *linkScanner {
	n := len(text)
	sc := &linkScanner{text: text, t: tables(), labelAt: make([]int32, n), localEnd: make([]int32, n), schemeEnd: make([]int32, n)}
	cur, schemeStart := -1, 0
	for i := 0; i < n; {
		r, w := utf8.DecodeRuneInString(text[i:])
		switch {
		case isLabelRune(r):
			if cur < 0 {
				cur = len(sc.labels)
				sc.labels = append(sc.labels, label{start: i, next: -1, tldEnd: -1, reach: -1, firstOK: r != '-'})
			}
			sc.labels[cur].end = i + w
			sc.labels[cur].lastOK = r != '-'
			for k := i; k < i+w; k++ {
				sc.labelAt[k] = int32(cur)
			}
		default:
			cur = -1
			for k := i; k < i+w; k++ {
				sc.labelAt[k] = -1
			}
		}
		if !isSchemeRune(r) {
			sc.fillScheme(schemeStart, i)
			schemeStart = i + w
		}
		i += w
	}
	sc.fillScheme(schemeStart, n)
	for k := range sc.labels {
		l := &sc.labels[k]
		if k+1 < len(sc.labels) && sc.labels[k+1].start == l.end+1 && text[l.end] == '.' {
			l.next = k + 1
		}
		l.tldEnd = sc.tldEnd(l)
	}
	for k := len(sc.labels) - 1; k >= 0; k-- {
		if l := &sc.labels[k]; l.firstOK && l.lastOK {
			l.reach = sc.hostAfter(l)
		}
	}
	local := int32(-1)
	for i := n - 1; i >= 0; i-- {
		if !isLocalByte(text[i]) {
			local = -1
		} else if local < 0 {
			local = int32(i + 1)
		}
		sc.localEnd[i] = local
	}
	return sc
}

// hostAfter is the end of the longest host name whose labels after l's are
// l.next and on: either l.next is its top-level domain, or it continues.
func (sc *linkScanner) hostAfter(l *label) int {
	if l.next < 0 {
		return -1
	}
	nx := &sc.labels[l.next]
	if nx.reach >= 0 {
		return nx.reach
	}
	return nx.tldEnd
}

// tldEnd is where the longest top-level domain at the start of l ends, or -1:
// a TLD written in ASCII first must be followed by a word break, a Unicode
// one need not be (xurls), and punycode (xn--…) is always one.
func (sc *linkScanner) tldEnd(l *label) int {
	s := sc.text[l.start:l.end]
	best := -1
	if len(s) > 4 && s[0]|0x20 == 'x' && s[1]|0x20 == 'n' && s[2:4] == "--" { // punycode: xn--[a-z0-9-]+, any case
		j := 4
		for j < len(s) {
			r, w := utf8.DecodeRuneInString(s[j:])
			if r != '-' && !('0' <= r && r <= '9') && !isFoldedLetter(r) {
				break
			}
			j += w
		}
		if j > 4 {
			best = l.start + j
		}
	}
	var folded []byte
	for i := 0; i < len(s) && len(folded) < sc.t.maxTLD; {
		r, w := utf8.DecodeRuneInString(s[i:])
		folded = utf8.AppendRune(folded, foldRune(r))
		i += w
		end := l.start + i
		if sc.t.unicodeTLDs[string(folded)] && end > best {
			best = end
		}
		// \b after an ASCII-first TLD: a word character on one side only.
		if sc.t.asciiTLDs[string(folded)] && (r < utf8.RuneSelf && isWordByte(byte(r))) != (end < len(sc.text) && isWordByte(sc.text[end])) && end > best {
			best = end
		}
	}
	return best
}

// longestAt is the length of the longest link starting at byte i, or 0.
func (sc *linkScanner) longestAt(i int) int {
	text := sc.text
	best := 0
	if n := sc.schemeURL(i); n > best {
		best = n
	}
	// Host name, bracketed IPv6 or IPv4, then port and path.
	hostEnd := -1
	if k := sc.labelAt[i]; k >= 0 {
		if r, _ := utf8.DecodeRuneInString(text[i:]); isIRIRune(r) && sc.labels[k].lastOK {
			hostEnd = sc.hostAfter(&sc.labels[k])
		}
	}
	if text[i] == '[' {
		if j := strings.IndexByte(text[i+1:min(len(text), i+48)], ']'); j >= 0 && isIPv6(text[i+1:i+1+j]) {
			hostEnd = max(hostEnd, i+j+2)
		}
	}
	hostEnd = max(hostEnd, sc.ipv4(i))
	if hostEnd > i {
		best = max(best, sc.portAndPath(hostEnd)-i)
	}
	// E-mail address: local part, @, host name.
	if e := sc.localEnd[i]; e > 0 && int(e) < len(text)-1 && text[e] == '@' {
		if k := sc.labelAt[e+1]; k >= 0 && sc.labels[k].firstOK && sc.labels[k].lastOK {
			if end := sc.hostAfter(&sc.labels[k]); end > 0 {
				best = max(best, end-i)
			}
		}
	}
	return max(best, sc.bareIPv6(i))
}

// schemeURL is the length of a URL with a known scheme starting at i, or 0.
func (sc *linkScanner) schemeURL(i int) int {
	text := sc.text
	e := int(sc.schemeEnd[i])
	if e <= i || e-i > 3*sc.t.maxScheme || e >= len(text) || text[e] != ':' {
		return 0
	}
	if r, _ := utf8.DecodeRuneInString(text[i:]); !isFoldedLetter(r) {
		return 0
	}
	name := fold(text[i:e])
	best := 0
	if strings.HasPrefix(text[e:], "://") && sc.t.schemes[name] {
		if n := sc.pathLen(e + 3); n > 0 {
			best = e + 3 + n - i
		}
	}
	if sc.t.noAuthority[name] { // "tel://x" is also "tel:" and a path
		if n := sc.pathLen(e + 1); n > 0 {
			best = max(best, e+1+n-i)
		}
	}
	return best
}

// portAndPath extends a host ending at end by ":port" and "/path".
func (sc *linkScanner) portAndPath(end int) int {
	text := sc.text
	if end+1 < len(text) && text[end] == ':' && '0' <= text[end+1] && text[end+1] <= '9' {
		end += 2
		for end < len(text) && '0' <= text[end] && text[end] <= '9' {
			end++
		}
	}
	if end < len(text) && text[end] == '/' {
		end++
		end += sc.pathLen(end)
	}
	return end
}

func (sc *linkScanner) pathLen(i int) int {
	if loc := sc.t.path.FindStringIndex(sc.text[i:]); loc != nil {
		return loc[1]
	}
	return 0
}

// ipv4 is the end of a dotted-quad address starting at i on a word break, or
// -1 (xurls: \b octet.octet.octet.octet \b, octets without leading zeros).
func (sc *linkScanner) ipv4(i int) int {
	text := sc.text
	if i > 0 && isWordByte(text[i-1]) {
		return -1
	}
	j := i
	for part := 0; part < 4; part++ {
		if part > 0 {
			if j >= len(text) || text[j] != '.' {
				return -1
			}
			j++
		}
		k := j
		for k < len(text) && k-j < 4 && '0' <= text[k] && text[k] <= '9' {
			k++
		}
		if !octet(text[j:k]) {
			return -1
		}
		j = k
	}
	if j < len(text) && isWordByte(text[j]) {
		return -1
	}
	return j
}

func octet(s string) bool {
	switch {
	case len(s) == 0 || len(s) > 3 || len(s) > 1 && s[0] == '0' || strings.Trim(s, "0123456789") != "":
		return false
	case len(s) == 3:
		return s <= "255"
	}
	return true
}

// bareIPv6 is the length of the longest IPv6 address (not "::" alone)
// starting at i, or 0.
func (sc *linkScanner) bareIPv6(i int) int {
	text := sc.text
	// Cheap test first: a hex group of at most 4 and a colon, or "::".
	j := i
	for j < len(text) && j-i < 4 && isHex(text[j]) {
		j++
	}
	if j >= len(text) || text[j] != ':' || j == i && (j+1 >= len(text) || text[j+1] != ':') {
		return 0
	}
	// The candidate: at most 45 characters, 8 colons and one "::".
	end, colons, elided := i, 0, false
	for end < len(text) && end-i < 45 && (isHex(text[end]) || text[end] == ':' || text[end] == '.') {
		if text[end] == ':' {
			if colons++; colons > 8 {
				break
			}
			if end > i && text[end-1] == ':' {
				if elided {
					break
				}
				elided = true
			}
		}
		end++
	}
	for ; end > i+1; end-- {
		if c := text[end-1]; (isHex(c) || c == ':') && text[i:end] != "::" && isIPv6(text[i:end]) {
			return end - i
		}
	}
	return 0
}

// isIPv6 tells whether s is an IPv6 address in text form (RFC 4291 2.2: hex
// groups of 1–4, one "::" at most, an IPv4 address as the last 32 bits).
func isIPv6(s string) bool {
	groups, elided := 0, false
	if strings.HasPrefix(s, "::") {
		elided, s = true, s[2:]
		if s == "" {
			return true
		}
	}
	for {
		j := 0
		for j < len(s) && j < 5 && isHex(s[j]) {
			j++
		}
		switch {
		case j < len(s) && s[j] == '.': // IPv4 tail
			return groups+2 <= 8 && (groups+2 == 8) != elided && isIPv4(s)
		case j == 0 || j > 4:
			return false
		}
		groups++
		s = s[j:]
		switch {
		case s == "":
			return groups <= 8 && (groups == 8) != elided
		case strings.HasPrefix(s, "::"):
			if elided {
				return false
			}
			elided, s = true, s[2:]
			if s == "" {
				return groups < 8
			}
		case s[0] == ':' && len(s) > 1:
			s = s[1:]
		default:
			return false
		}
	}
}

func isIPv4(s string) bool {
	for part := 0; part < 4; part++ {
		j := strings.IndexByte(s, '.')
		if part == 3 {
			j = len(s)
		}
		if j < 0 || !octet(s[:j]) {
			return false
		}
		s = s[min(j+1, len(s)):]
	}
	return true
}
