package payments

import "testing"

func TestLocalKeysPersist(t *testing.T) {
	dir := t.TempDir()
	a, err := LoadLocalKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadLocalKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if a.APIv3Key != b.APIv3Key || !a.Private.Equal(b.Private) {
		t.Fatal("keys regenerated on the second start")
	}
}

func TestReaderRefusesBadKeys(t *testing.T) {
	if _, err := NewReader(Keys{APIv3Key: "short"}); err == nil {
		t.Fatal("short APIv3 key accepted")
	}
	if _, err := NewReader(Keys{APIv3Key: RandomKey()}); err == nil {
		t.Fatal("missing public key accepted")
	}
}
