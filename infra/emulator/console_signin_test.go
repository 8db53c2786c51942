package emulator

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"

	"cloudmarket/shared/market"
)

// fakeIdentityProvider is an OAuth 2.0 authorization server on loopback that
// signs everyone in at once: it checks the console's authorization-code-with-
// PKCE requests exactly and issues the emulator's own tokens.
type fakeIdentityProvider struct {
	t        *testing.T
	redirect string // the console's redirect URI
	origin   string // the console's origin (CORS for the token request)
	token    string // what it issues
	mu       sync.Mutex
	codes    map[string]string // code → PKCE challenge
	issued   int
}

func (p *fakeIdentityProvider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	q := r.URL.Query()
	switch r.URL.Path {
	case "/authorize":
		if q.Get("response_type") != "code" || q.Get("client_id") != "cloudmarket-console" || q.Get("redirect_uri") != p.redirect ||
			q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || q.Get("state") == "" || q.Get("scope") != "openid" {
			http.Error(w, "bad authorization request: "+r.URL.RawQuery, http.StatusBadRequest)
			return
		}
		code := rand.Text()
		p.codes[code] = q.Get("code_challenge")
		http.Redirect(w, r, p.redirect+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
	case "/token":
		w.Header().Set("Access-Control-Allow-Origin", p.origin)
		if r.Method != http.MethodPost || r.ParseForm() != nil {
			http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
			return
		}
		f := r.PostForm
		sum := sha256.Sum256([]byte(f.Get("code_verifier")))
		challenge, known := p.codes[f.Get("code")]
		delete(p.codes, f.Get("code")) // a code is good once
		if !known || f.Get("grant_type") != "authorization_code" || f.Get("client_id") != "cloudmarket-console" ||
			f.Get("redirect_uri") != p.redirect || base64.RawURLEncoding.EncodeToString(sum[:]) != challenge {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant"})
			return
		}
		p.issued++
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": p.token, "token_type": "Bearer", "expires_in": 3600})
	default:
		http.NotFound(w, r)
	}
}

// In production the console signs in through the identity provider (the
// authorization code flow with PKCE, configured in config.js): the code never
// stays in the address bar, the token lives in sessionStorage only, the header
// shows who signed in; a forged or replayed return is refused.
func TestConsoleSignInThroughIdentityProvider(t *testing.T) {
	exe := browserPath(t)
	env := start(t, true, "")
	idp := &fakeIdentityProvider{t: t, redirect: env.emu.URL + "/console/signin", origin: env.emu.URL,
		token: env.token("800001", market.RoleFinance, market.RoleRisk), codes: map[string]string{}}
	idpServer := httptest.NewServer(idp)
	defer idpServer.Close()
	// The deployment's config.js, as a static site would serve it.
	config := fmt.Sprintf(`window.cloudmarketConfig = { apiBase: '', local: false, oidc: { authorizeUrl: %q, tokenUrl: %q, clientId: 'cloudmarket-console', scope: 'openid' } }`,
		idpServer.URL+"/authorize", idpServer.URL+"/token")

	dir := filepath.Join("..", "..", "console", "screenshots", "run")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(1280, 800), chromedp.Flag("lang", "zh-CN"))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	chromedp.ListenTarget(ctx, func(ev any) {
		paused, ok := ev.(*fetch.EventRequestPaused)
		if !ok {
			return
		}
		go func() {
			c := chromedp.FromContext(ctx)
			exec := cdp.WithExecutor(ctx, c.Target)
			_ = fetch.FulfillRequest(paused.RequestID, 200).
				WithResponseHeaders([]*fetch.HeaderEntry{{Name: "Content-Type", Value: "text/javascript"}}).
				WithBody(base64.StdEncoding.EncodeToString([]byte(config))).Do(exec)
		}()
	})
	if err := chromedp.Run(ctx, fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "*/console/config.js"}})); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	b := &browser{t: t, ctx: ctx, base: env.emu.URL, dir: dir}

	b.open("/finance/deposits", tid("oidc-signin")) // not signed in: the sign-in page, no role picker
	var picker bool
	b.run("no role picker", chromedp.Evaluate(`!!document.querySelector('[data-testid="signin"]')`, &picker))
	if picker {
		t.Fatal("the local role picker is shown in production")
	}
	b.shot("20-signin-identity-provider")
	b.run("sign in", chromedp.Click(tid("oidc-signin"), chromedp.ByQuery), chromedp.WaitVisible(tid("who"), chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid^="deposit-"], .t-table`, chromedp.ByQuery))
	var where, who, role, stored, flight string
	b.run("read the page",
		chromedp.Evaluate(`location.href`, &where),
		chromedp.Text(tid("who"), &who, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('[data-testid="roleSwitch"] input').value`, &role),
		chromedp.Evaluate(`sessionStorage.getItem('cloudmarket.session') || ''`, &stored),
		chromedp.Evaluate(`sessionStorage.getItem('cloudmarket.oidc') || ''`, &flight))
	if where != env.emu.URL+"/console/finance/deposits" {
		t.Errorf("after sign-in the address is %q: want the page asked for, with no code or token in it", where)
	}
	if !strings.Contains(who, "800001") || role != "运营·财务" || strings.Contains(who, "本地环境") {
		t.Errorf("header %q, role %q: want the account and its first role, not the local badge", who, role)
	}
	if !strings.Contains(stored, idp.token) || flight != "" {
		t.Errorf("sessionStorage: session %q, flight %q: want the token kept and the PKCE verifier gone", stored, flight)
	}
	b.shot("21-signed-in-through-identity-provider")
	// The token carries two roles: the header switches between them.
	b.run("switch to risk",
		choose("roleSwitch", "运营·风控"),
		chromedp.WaitVisible(tid("statOrders"), chromedp.ByQuery), // risk's home: the dashboard
		chromedp.Evaluate(`document.querySelector('[data-testid="roleSwitch"] input').value`, &role))
	if role != "运营·风控" {
		t.Errorf("after switching the header shows %q", role)
	}

	// A return that this tab did not start (no matching state) is refused,
	// and its code leaves the address bar all the same.
	b.run("sign out", chromedp.Click(tid("signout"), chromedp.ByQuery), chromedp.WaitVisible(tid("oidc-signin"), chromedp.ByQuery))
	b.open("/signin?code=stolen&state=forged", tid("signin-error"))
	var msg string
	b.run("read the refusal", chromedp.Text(tid("signin-error"), &msg, chromedp.ByQuery), chromedp.Evaluate(`location.href`, &where))
	if !strings.Contains(msg, "state") || strings.Contains(where, "stolen") {
		t.Errorf("forged return: message %q at %q", msg, where)
	}
	idp.mu.Lock()
	defer idp.mu.Unlock()
	if idp.issued != 1 {
		t.Errorf("the identity provider issued %d tokens, want 1", idp.issued)
	}
}
