package smoke_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"cloudmarket/infra/emulator/emulatortest"
	"cloudmarket/infra/smoke"
	"cloudmarket/shared/app"
	"cloudmarket/shared/httpapi"
)

// The smoke test passes against the local emulator on loopback, the same
// handlers a deployed stage runs.
func TestSmokePassesAgainstTheEmulator(t *testing.T) {
	emu := emulatortest.Start(t)

	token, err := httpapi.Mint([]byte(app.DefaultJWTSecret), "300001", []string{"buyer"}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range smoke.Run(context.Background(), http.DefaultClient, emu.URL+"/", token) {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Check.Name, r.Err)
		}
		if r.RequestID == "" {
			t.Errorf("%s: no request ID", r.Check.Name)
		}
	}
}

// A stage that answers everything with 200 and no request ID fails.
func TestSmokeFailsAgainstAWrongStage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"items":[]}`))
	}))
	defer srv.Close()
	failed := 0
	for _, r := range smoke.Run(context.Background(), srv.Client(), srv.URL, "t") {
		if r.Err != nil {
			failed++
		}
	}
	if failed != len(smoke.Checks) {
		t.Errorf("%d of %d checks failed against a stage without request IDs or auth", failed, len(smoke.Checks))
	}
}
