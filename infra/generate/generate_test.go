package generate

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"cloudmarket/shared/app"
)

const root = "../.."

// The committed serverless.yml, routes.json and mains are what the catalogue
// generates.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "functions"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, app.Catalogue); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		want, _ := os.ReadFile(path)
		got, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Errorf("%s is missing: run make generate", rel)
		} else if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what shared/app/catalogue.go generates: run make generate", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Every functions/ folder has a catalogue row and every row a folder.
func TestFunctionFoldersMatchCatalogue(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	var dirs, names []string
	for _, e := range entries {
		dirs = append(dirs, e.Name())
	}
	for _, fn := range app.Catalogue {
		names = append(names, fn.Name)
	}
	slices.Sort(names)
	if !slices.Equal(dirs, names) {
		t.Fatalf("functions/ holds %v, the catalogue names %v: run make generate", dirs, names)
	}
}

func TestMainNamesItsFunctionAndClients(t *testing.T) {
	t.Parallel()
	fn, _ := app.Lookup("payment-notify")
	src, err := mainFile(fn)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"// " + Header + ". DO NOT EDIT.\n", `app.Start("payment-notify", app.Clients{Queue: app.NewQueue, Payments: app.NewPayments})`} {
		if !strings.Contains(string(src), want) {
			t.Errorf("main.go lacks %q:\n%s", want, src)
		}
	}
	if n := strings.Count(string(src), "\n"); n > 12 {
		t.Errorf("main.go is %d lines", n)
	}
}

// make generate removes the folder of a function dropped from the catalogue,
// but never a folder with anything of a person's in it.
func TestWriteRemovesOnlyGeneratedFolders(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_ = os.MkdirAll(filepath.Join(dir, "functions", "hand-made"), 0o755)
	_ = os.WriteFile(filepath.Join(dir, "functions", "hand-made", "main.go"), []byte("package main\n"), 0o644)
	_ = Write(dir, app.Catalogue[:2]) // reports hand-made, as checked below
	if _, err := os.Stat(filepath.Join(dir, "functions", app.Catalogue[1].Name, "main.go")); err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, app.Catalogue[:1]); err == nil || !strings.Contains(err.Error(), "functions/hand-made") {
		t.Fatalf("hand-made folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "functions", app.Catalogue[1].Name)); !os.IsNotExist(err) {
		t.Fatalf("dropped function's folder kept: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "functions", "hand-made", "main.go")); err != nil {
		t.Fatal("hand-made folder removed")
	}
}

// No function imports the emulator's local-only parts: the fake S3, the
// in-process Kafka, the payment simulator, the emulator's cron and bolt.
func TestFunctionsImportNoLocalOnlyPackages(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("go", "list", "-deps", "./functions/...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, local := range []string{"github.com/johannesboyne/gofakes3", "github.com/twmb/franz-go/pkg/kfake", "go.etcd.io/bbolt",
			"github.com/robfig/cron", "cloudmarket/shared/payments/simulator", "cloudmarket/infra/"} {
			if strings.HasPrefix(pkg, local) {
				t.Errorf("a function imports %s", pkg)
			}
		}
	}
}
