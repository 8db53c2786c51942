package fault

import (
	"fmt"
	"testing"
)

func TestCategoryAndAs(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("wrapped: %w", Failed("AlreadyApplied", "org %s", "x"))
	e, ok := As(err)
	if !ok || e.Code != "FailedOperation.AlreadyApplied" || e.Category() != FailedOperation || e.Message != "org x" {
		t.Fatalf("%+v", e)
	}
	if Missing("contact").Category() != MissingParameter || !HasCode(err, "FailedOperation.AlreadyApplied") {
		t.Fatal("category of a plain code")
	}
}
