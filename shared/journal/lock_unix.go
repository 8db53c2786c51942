//go:build linux || darwin || freebsd || openbsd || netbsd || dragonfly

package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// lockDir takes an exclusive flock on dir/LOCK and writes our pid into it.
// The kernel drops the lock when the process dies, even by kill -9, so a
// crash never leaves the store locked.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if err := flockSoon(f); err != nil {
		data, _ := os.ReadFile(f.Name())
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid := strings.TrimSpace(string(data))
			if pid == "" {
				pid = "unknown"
			}
			return nil, fmt.Errorf("%s is in use by another process (pid %s); stop it first", dir, pid)
		}
		return nil, fmt.Errorf("journal: lock %s: %w", dir, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}

// flockSoon takes the lock, waiting up to a second for it: a process of ours
// that forks (the tests start children) shares the lock with the child until
// the child's exec closes its copy, so a store closed and reopened at that
// moment finds it held for a few milliseconds. A store really in use stays
// held and is refused after the wait.
func flockSoon(f *os.File) error {
	deadline := time.Now().Add(time.Second)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
}
