// Package invoke runs a function binary exactly as SCF does: it starts the
// binary with _LAMBDA_SERVER_PORT set and calls scf-go-lib's RPC method
// Function.Invoke with the event. `make invoke` and the entry-path tests use it.
package invoke

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tencentyun/scf-go-lib/cloudfunction/messages"

	"cloudmarket/shared/httpapi"
)

// SCF is how a function is built for SCF: linux/amd64, static (no cgo).
var SCF = []string{"GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0"}

// Build compiles functions/<name> as SCF runs it into dir/<name>/main, the
// layout of make package's src folder, with -trimpath and flags (make package adds
// -ldflags "-s -w").
func Build(ctx context.Context, root, name, dir string, flags ...string) (string, error) {
	return BuildPackage(ctx, root, "./functions/"+name, filepath.Join(dir, name, "main"), SCF, append([]string{"-trimpath"}, flags...)...)
}

// BuildPackage compiles a main package with env added to this process's
// environment. With no env and no flags it builds for this machine with the
// go command's defaults, so every package comes from the cache that go vet
// filled and only the link is left: the tests use that.
func BuildPackage(ctx context.Context, root, pkg, out string, env []string, flags ...string) (string, error) {
	args := append(append([]string{"build", "-o", out}, flags...), pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %v\n%s", pkg, err, msg)
	}
	return out, nil
}

// Run starts binary with env added to this process's environment, invokes it
// once with event, stops it, and returns the function's payload.
func Run(ctx context.Context, binary string, env []string, event []byte) ([]byte, error) {
	p, err := Start(ctx, binary, env)
	if err != nil {
		return nil, err
	}
	defer p.Stop()
	return p.Invoke(event)
}

// Process is a started function: scf-go-lib's RPC server on a local port.
type Process struct {
	cmd    *exec.Cmd
	exited <-chan struct{}
	client *rpc.Client
	name   string
}

// Start starts binary as SCF's runtime does (_LAMBDA_SERVER_PORT) and waits
// until its RPC server accepts a connection.
func Start(ctx context.Context, binary string, env []string) (*Process, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, binary)
	cmd.Env = append(append(os.Environ(), env...), "_LAMBDA_SERVER_PORT="+strconv.Itoa(port))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	client, err := dial(ctx, port, exited)
	if err != nil {
		_ = cmd.Process.Kill()
		<-exited
		return nil, err
	}
	return &Process{cmd: cmd, exited: exited, client: client, name: filepath.Base(filepath.Dir(binary))}, nil
}

// Invoke calls Function.Invoke once with event and returns the payload.
func (p *Process) Invoke(event []byte) ([]byte, error) {
	deadline := time.Now().Add(30 * time.Second)
	req := &messages.InvokeRequest{
		Payload: event, RequestId: "invoke-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		Deadline:     messages.InvokeRequest_Timestamp{Seconds: deadline.Unix(), Nanos: int64(deadline.Nanosecond())},
		FunctionName: p.name, TimeLimitInMs: 30000, MemoryLimitInMb: 128,
	}
	var resp messages.InvokeResponse
	if err := p.client.Call("Function.Invoke", req, &resp); err != nil {
		return nil, fmt.Errorf("rpc Function.Invoke: %w", err)
	}
	if resp.Error != nil {
		return nil, fmt.Errorf("function error (%s): %s", resp.Error.Type, resp.Error.Message)
	}
	return resp.Payload, nil
}

// Stop kills the function and waits for it to exit.
func (p *Process) Stop() {
	_ = p.client.Close()
	_ = p.cmd.Process.Kill()
	<-p.exited
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// dial waits for the function to listen, as SCF's runtime does. It polls
// every millisecond: a cold start is measured through it.
func dial(ctx context.Context, port int, exited <-chan struct{}) (*rpc.Client, error) {
	addr := "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := rpc.Dial("tcp", addr); err == nil {
			return c, nil
		}
		select {
		case <-exited:
			return nil, errors.New("the function exited before listening")
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	return nil, fmt.Errorf("the function did not listen on %s", addr)
}

var tokenPlaceholder = regexp.MustCompile(`\{\{token ([a-z:]+(?:,[a-z:]+)*) ([0-9A-Za-z_-]+)\}\}`)

// ExpandTokens replaces {{token ROLES SUB}} in a sample event with a fresh
// local token, so samples in events/ never hold a token that expires.
func ExpandTokens(payload []byte, secret string) ([]byte, error) {
	var err error
	out := tokenPlaceholder.ReplaceAllFunc(payload, func(m []byte) []byte {
		parts := tokenPlaceholder.FindSubmatch(m)
		tok, e := httpapi.Mint([]byte(secret), string(parts[2]), strings.Split(string(parts[1]), ","), time.Hour, time.Now())
		if e != nil {
			err = e
		}
		return []byte(tok)
	})
	return out, err
}
