package market

import (
	"net/url"
	"strings"
	"sync"

	"mvdan.cc/xurls/v2"
)

// DefaultAllowedDomains are the marketplace's own cloud (R-LS2): links to them,
// and to their subdomains, are allowed in product text.
var DefaultAllowedDomains = []string{"cloud.tencent.com", "tencentcloud.com", "qcloud.com", "myqcloud.com", "tencent.com"}

// relaxedURLs finds links with or without a scheme, bare host names with a
// real top-level domain, and e-mail addresses (xurls keeps the IANA TLD list).
// Compiled on first use: at package init it cost every function's cold start
// about 16 ms and 6 MB, used or not.
var relaxedURLs = sync.OnceValue(xurls.Relaxed)

// ExternalLinks returns the links in text whose host is not one of allowed
// (or a subdomain of one), in order of appearance, each once (R-LS3).
func ExternalLinks(text string, allowed []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, link := range relaxedURLs().FindAllString(text, -1) {
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
