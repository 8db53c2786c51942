// Command emulator is `make run`: the whole system on one port with embedded
// defaults (see infra/emulator).
package main

import (
	"context"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"cloudmarket/infra/emulator"
	"cloudmarket/shared/app"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if os.Getenv("CLOUDMARKET_MODE") == "" {
		os.Setenv("CLOUDMARKET_MODE", app.ModeLocal)
	}
	cfg, err := app.ConfigFromEnv()
	if err != nil {
		log.Error("configuration", "err", err)
		os.Exit(1)
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	// The sandbox stays local: loopback only, unless HOST says otherwise
	// (HOST=0.0.0.0 to reach it from another machine or container).
	host := os.Getenv("HOST")
	if host == "" {
		host = "127.0.0.1"
	}
	lis, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		log.Error("listen", "err", err)
		os.Exit(1)
	}
	emu, err := emulator.New(context.Background(), emulator.Options{Config: cfg, Listener: lis, Schedule: true, Log: log})
	if err != nil {
		log.Error("start", "err", err)
		os.Exit(1)
	}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		log.Info("stopping")
		if err := emu.Close(); err != nil {
			log.Error("stop", "err", err)
		}
	}()
	log.Info("cloudmarket emulator listening", "url", emu.URL, "data", cfg.DataDir)
	if err := emu.Serve(); err != nil {
		log.Error("serve", "err", err)
		os.Exit(1)
	}
}
