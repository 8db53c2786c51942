package invoke

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"cloudmarket/shared/app"
)

// The production entry path: build the real binaries, start them as SCF does
// (_LAMBDA_SERVER_PORT) and call scf-go-lib's RPC Function.Invoke. They are
// built for this machine with this test's own settings (-race or not), which
// only links packages already compiled for the tests (make build and make
// bench build them the SCF way).
func TestInvokeBinariesAsSCFDoes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	ctx := context.Background()
	root, _ := filepath.Abs("../..")
	bin := t.TempDir()
	env := []string{"CLOUDMARKET_MODE=local", "CLOUDMARKET_DATA_DIR=" + t.TempDir()}

	build := func(name string) (string, error) {
		return BuildPackage(ctx, root, "./functions/"+name, filepath.Join(bin, name, "main"), nil, raceFlags...)
	}
	query, err := build("query-applications")
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := os.ReadFile(filepath.Join(root, "events", "http-query-applications-get-unauthenticated.json"))
	out, err := Run(ctx, query, env, payload)
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		StatusCode int               `json:"statusCode"`
		Headers    map[string]string `json:"headers"`
		Body       string            `json:"body"`
	}
	if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode != 401 || resp.Headers["X-Request-Id"] == "" {
		t.Fatalf("HTTP function answered %s (%v)", out, err)
	}

	timer, err := build("enforce-deadlines")
	if err != nil {
		t.Fatal(err)
	}
	payload, _ = os.ReadFile(filepath.Join(root, "events", "timer-enforce-deadlines-every-minute.json"))
	out, err = Run(ctx, timer, env, payload)
	if err != nil {
		t.Fatal(err)
	}
	var rep map[string]int
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("timer answered %s", out)
	}
	if _, ok := rep["reviewsOverdue"]; !ok {
		t.Fatalf("timer report %s", out)
	}

	// A function links the SDKs of its own clients only, and no local-only
	// code: query-applications needs none, enforce-deadlines the sender and
	// the Kafka producer (it re-drives stored payment notifications).
	linked := func(binary string) string {
		out, err := exec.Command("go", "tool", "nm", binary).Output()
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	localOnly := []string{"github.com/johannesboyne/gofakes3", "github.com/twmb/franz-go/pkg/kfake", "cloudmarket/shared/payments/simulator", "cloudmarket/infra/"}
	sdks := []string{" github.com/aws/aws-sdk-go-v2/service/s3.New\n", " github.com/twmb/franz-go/pkg/kgo.NewClient\n",
		" github.com/wechatpay-apiv3/wechatpay-go/core/notify.NewRSANotifyHandler\n", "tencentcloud/sms/v20210111.NewClient\n"}
	symbols := linked(query)
	for _, s := range append(localOnly, sdks...) {
		if strings.Contains(symbols, s) {
			t.Errorf("query-applications links %s", strings.TrimSpace(s))
		}
	}
	symbols = linked(timer)
	for _, s := range append(localOnly, sdks[0], sdks[2]) {
		if strings.Contains(symbols, s) {
			t.Errorf("enforce-deadlines links %s", strings.TrimSpace(s))
		}
	}
	for _, s := range []string{sdks[1], sdks[3]} {
		if !strings.Contains(symbols, s) {
			t.Errorf("enforce-deadlines does not link %s, which it needs", strings.TrimSpace(s))
		}
	}
}

func TestExpandTokens(t *testing.T) {
	t.Parallel()
	out, err := ExpandTokens([]byte(`"Bearer {{token operator:reviewer,provider 900001}}"`), app.DefaultJWTSecret)
	if err != nil || len(out) < 50 || string(out[:8]) != `"Bearer ` {
		t.Fatalf("%s %v", out, err)
	}
}
