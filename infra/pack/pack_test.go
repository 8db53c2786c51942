package pack

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"cloudmarket/shared/app"
)

// Two functions packaged into a temporary folder: each zip holds an
// executable main (an ELF file), and the manifest's size and sha256 are the
// zip's.
func TestPackageTwoFunctions(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two functions")
	}
	t.Parallel()
	names := []string{app.Catalogue[0].Name, app.Catalogue[len(app.Catalogue)-1].Name}
	dir := filepath.Join(t.TempDir(), "test")
	if _, err := Package("../..", dir, names); err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest []Entry
	if err := json.Unmarshal(js, &manifest); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range manifest {
		got = append(got, e.Name)
		data, err := os.ReadFile(filepath.Join(dir, e.Zip))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != e.SHA256 || int64(len(data)) != e.Size {
			t.Errorf("%s: manifest says %d bytes %s, the zip is %d bytes %x", e.Name, e.Size, e.SHA256, len(data), sum)
		}
		zr, err := zip.OpenReader(filepath.Join(dir, e.Zip))
		if err != nil {
			t.Fatal(err)
		}
		if len(zr.File) != 1 || zr.File[0].Name != "main" {
			t.Fatalf("%s: zip holds %v", e.Name, zr.File)
		}
		if mode := zr.File[0].Mode(); !mode.IsRegular() || mode.Perm() != 0o755 {
			t.Errorf("%s: main has mode %v", e.Name, mode)
		}
		rc, err := zr.File[0].Open()
		if err != nil {
			t.Fatal(err)
		}
		bin, err := io.ReadAll(rc)
		rc.Close()
		zr.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(bin) < 4 || string(bin[:4]) != "\x7fELF" {
			t.Errorf("%s: main is not an ELF binary", e.Name)
		}
		folder, err := os.ReadFile(filepath.Join(dir, "src", e.Name, "main"))
		if err != nil || !slices.Equal(folder, bin) {
			t.Errorf("%s: src/%s/main differs from the zip's main (%v)", e.Name, e.Name, err)
		}
		if fi, err := os.Stat(filepath.Join(dir, "src", e.Name, "main")); err != nil || fi.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s: src/%s/main is not executable (%v)", e.Name, e.Name, err)
		}
	}
	if !slices.Equal(got, names) {
		t.Fatalf("manifest names %v, want %v", got, names)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() && e.Name() != "src" {
			t.Errorf("%s left in the stage folder", e.Name())
		}
	}
}

func TestZipIsReproducible(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "main")
	if err := os.WriteFile(bin, []byte("\x7fELF binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	a, err := zipMain(bin)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := zipMain(bin)
	if !slices.Equal(a, b) {
		t.Fatal("two zips of one binary differ")
	}
}

func TestCheckStage(t *testing.T) {
	t.Parallel()
	for stage, ok := range map[string]bool{"dev": true, "prod2": true, "": false, "Prod": false, "2dev": false, "dev-1": false, "a23456789012345678901": false} {
		if err := CheckStage(stage); (err == nil) != ok {
			t.Errorf("CheckStage(%q) = %v", stage, err)
		}
	}
}
