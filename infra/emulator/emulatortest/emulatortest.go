// Package emulatortest starts the local emulator for the tests of other
// packages (the OpenAPI document, the smoke test) as `make run` would, with
// an in-memory store, on a loopback port.
package emulatortest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"

	"cloudmarket/infra/emulator"
	"cloudmarket/shared/app"
)

// Start serves a fresh emulator on 127.0.0.1 until the test ends; its URL is
// emu.URL.
func Start(t testing.TB) *emulator.Emulator {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := app.Config{Mode: app.ModeLocal, JWTSecret: app.DefaultJWTSecret}
	cfg.Objects.Bucket, cfg.Objects.Region, cfg.Objects.SecretID, cfg.Objects.SecretKey = "cloudmarket-local", "ap-guangzhou", "local", "local"
	emu, err := emulator.New(context.Background(), emulator.Options{Config: cfg, Listener: lis, Memory: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = emu.Serve() }()
	t.Cleanup(func() { _ = emu.Close(); <-done })
	return emu
}
