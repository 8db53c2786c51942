package market

import (
	"os/exec"
	"strings"
	"testing"
)

// The domain is pure (DESIGN.md, layer 1): no driver, network, cloud SDK or
// adapter may be among its dependencies.
func TestDomainImportsNoDriver(t *testing.T) {
	pkgs := []string{"cloudmarket/shared/market", "cloudmarket/shared/money", "cloudmarket/shared/workday",
		"cloudmarket/shared/orgcode", "cloudmarket/shared/ids", "cloudmarket/shared/fault", "cloudmarket/shared/clock"}
	out, err := exec.Command("go", append([]string{"list", "-deps"}, pkgs...)...).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"mongo", "lungo", "aws", "tencentcloud", "net/http", "cloudmarket/shared/store", "cloudmarket/shared/httpapi", "cloudmarket/shared/operation"} {
			if strings.Contains(dep, banned) {
				t.Errorf("domain depends on %s", dep)
			}
		}
	}
}
