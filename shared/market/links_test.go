package market

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"mvdan.cc/xurls/v2"
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

// longDescription is a 20,000-character description (MaxDescriptionLen) that
// exercises every kind of link: Chinese prose with allowed links, version
// numbers and a long dotted-number run (which made the xurls expression
// quadratic: 8,000 characters of it took seconds), and four external links.
func longDescription() string {
	var b strings.Builder
	para := "本镜像基于 CentOS 7.9 构建，预装 Nginx 1.24.0 与 PHP 8.2，文档见 https://cloud.tencent.com/document/product/213 " +
		"与 cos.ap-guangzhou.myqcloud.com/doc/guide.pdf；售后请在控制台 console.cloud.tencent.com 提交工单（5×8 小时）。\n"
	b.WriteString("联系我们：sales@vendor-example.com。")
	for utf8.RuneCountInString(b.String()) < 12000 {
		b.WriteString(para)
	}
	b.WriteString("版本 ")
	b.WriteString(strings.Repeat("1.", 2000)) // 4,000 characters of "1.1.1.1…": 1.1.1.1 is an address
	b.WriteString(" 下载：https://evil.example.net/download?id=42 或 http://[2001:db8::1]:8080/pkg 。")
	for utf8.RuneCountInString(b.String()) < MaxDescriptionLen {
		b.WriteString(para)
	}
	return string([]rune(b.String())[:MaxDescriptionLen])
}

func TestExternalLinks_LongDescription_R_LS3(t *testing.T) {
	t.Parallel()
	text := longDescription()
	if n := utf8.RuneCountInString(text); n != MaxDescriptionLen {
		t.Fatalf("description has %d characters", n)
	}
	got := ExternalLinks(text, DefaultAllowedDomains)
	want := []string{"sales@vendor-example.com", "1.1.1.1", "https://evil.example.net/download?id=42", "http://[2001:db8::1]:8080/pkg"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ExternalLinks = %q, want %q", got, want)
	}
	err := CheckLinks(ProductContent{Name: "LNMP 镜像", Description: text}, ProductRules{AllowedDomains: DefaultAllowedDomains})
	if err == nil || !strings.Contains(err.Error(), strings.Join(want, ", ")) {
		t.Errorf("CheckLinks = %v, want the four links", err)
	}
}

// findLinks replaces the xurls expression (quadratic on some texts, slow on
// all); it must find exactly what the expression finds. Short random texts
// from link-shaped pieces, deterministic; FuzzFindLinksMatchesXurls searches
// further.
func TestFindLinks_MatchesXurls(t *testing.T) {
	t.Parallel()
	pieces := []string{"a", "b", "1", "0", "255", "256", "01", ".", ".", "..", "-", "_", "@", ":", "::", "/", "//", "?", "#",
		"(", ")", "[", "]", "{", "}", " ", "\n", "，", "。", "中国", "com", "cn", "io", "xn--fiqs8s", "XN--P1AI", "http", "https",
		"://", "mailto:", "tel:", "www", "example", "Node", "js", "vermögensberater", "\u0301", "١", "%", "+", "~", "'", ",",
		"ffff", "beef", "1.2.3.4", "[::1]", "fe80::", "x@y.com", "ΕΛ", "рф", "COM", "\xff", "\u3000", "<", "8080",
		"cloud.tencent.com", "localhost", "a-", "-a", "ſ", "\u212a", "İ", "公司", "https://a.com/(x)"}
	rng := rand.New(rand.NewPCG(1, 2))
	re := xurls.Relaxed()
	for range 1000 {
		var b strings.Builder
		for range 1 + rng.IntN(24) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		text := b.String()
		if want, got := re.FindAllString(text, -1), findLinks(text); fmt.Sprintf("%q", want) != fmt.Sprintf("%q", got) {
			t.Errorf("%q: xurls finds %q, findLinks %q", text, want, got)
		}
	}
}

func FuzzFindLinksMatchesXurls(f *testing.F) {
	for _, s := range []string{"https://example.com/buy?x=1", "官网 www.other-shop.cn，或 other-shop.cn", "联系 sales@vendor.com", "a.xn--p1aiſ", "tel://", "1.1.1.1.1", "e::", "[fe80::1]:80/x"} {
		f.Add(s)
	}
	re := xurls.Relaxed()
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 300 {
			t.Skip() // the expression is quadratic on long texts
		}
		if want, got := re.FindAllString(text, -1), findLinks(text); fmt.Sprintf("%q", want) != fmt.Sprintf("%q", got) {
			t.Errorf("%q: xurls finds %q, findLinks %q", text, want, got)
		}
	})
}

// BenchmarkExternalLinks20k: a 20,000-character description per operation
// (target: well under 50 ms; the xurls expression took 9 s for 8,000
// characters of "1.").
func BenchmarkExternalLinks20k(b *testing.B) {
	texts := []struct{ name, text string }{
		{"description", longDescription()},
		{"dotted-numbers", strings.Repeat("1.", 10000)},
		{"letters-and-dots", strings.Repeat("a.", 10000)},
		{"distinct-links", func() string {
			var s strings.Builder
			for i := 0; s.Len() < 20000; i++ {
				fmt.Fprintf(&s, "site%d.com ", i)
			}
			return s.String()[:20000]
		}()},
		{"long-path", "https://cloud.tencent.com/" + strings.Repeat("a/b", 6658)},
		{"colons", strings.Repeat("1:", 10000)},
	}
	for _, c := range texts {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.text)))
			for b.Loop() {
				ExternalLinks(c.text, DefaultAllowedDomains)
			}
		})
	}
}
