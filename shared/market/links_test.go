package market

import (
	"fmt"
	"strings"
	"testing"
)

func TestExternalLinks_R_LS2(t *testing.T) {
	t.Parallel()
	cases := []struct {
		text string
		want []string
	}{
		{"详见 https://cloud.tencent.com/product/cvm 与 console.cloud.tencent.com", nil},
		{"购买后访问 https://example.com/buy?x=1 获取", []string{"https://example.com/buy?x=1"}},
		{"官网 www.other-shop.cn，或 other-shop.cn", []string{"www.other-shop.cn", "other-shop.cn"}},
		{"联系 sales@vendor.com 获取报价", []string{"sales@vendor.com"}},
		{"镜像文档见 cos.ap-guangzhou.myqcloud.com/doc", nil},
		{"http://evil.com.cloud.tencent.com.attacker.io/x", []string{"http://evil.com.cloud.tencent.com.attacker.io/x"}},
		{"tencent.com.evil.net", []string{"tencent.com.evil.net"}},
		{"uses Node.js and config.yml", nil},
		{"twice: a.io a.io", []string{"a.io"}},
	}
	for _, c := range cases {
		got := ExternalLinks(c.text, DefaultAllowedDomains)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%q: %v, want %v", c.text, got, c.want)
		}
	}
}

// FuzzExternalLinks: whatever the text, every reported link occurs in it and
// none is on an allowed domain; text with no dot or colon reports nothing (IP
// addresses, v4 or v6, count as external hosts).
func FuzzExternalLinks(f *testing.F) {
	for _, s := range []string{"https://example.com", "见 www.a.cn", "x@y.com", "cloud.tencent.com", "", "http://[::1]:80/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, link := range ExternalLinks(text, DefaultAllowedDomains) {
			if !strings.Contains(text, link) {
				t.Fatalf("reported %q, not in the text", link)
			}
			if hostAllowed(linkHost(link), DefaultAllowedDomains) {
				t.Fatalf("reported an allowed link %q", link)
			}
		}
		// Without a dot or a colon there is no host name, IP address or scheme.
		if !strings.ContainsAny(text, ".。:") && len(ExternalLinks(text, DefaultAllowedDomains)) > 0 {
			t.Fatalf("link found in %q", text)
		}
	})
}
