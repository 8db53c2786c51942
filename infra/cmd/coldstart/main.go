// Command coldstart is the second half of `make bench`: it builds place-order
// and a hello-world scf-go-lib function the same way (linux/amd64, no cgo,
// -trimpath -ldflags "-s -w"), prints their sizes, then measures each from
// exec to the answer of its first invoke over scf-go-lib's RPC, place-order
// on a local store holding 10,000 documents. Targets: at most 3× hello's
// size and 3× its time.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"cloudmarket/infra/invoke"
	"cloudmarket/shared/app"
	"cloudmarket/shared/market"
	"cloudmarket/shared/store"
)

func main() {
	docs := flag.Int("docs", 10000, "documents in the function's store")
	runs := flag.Int("runs", 7, "cold starts of each binary; the median is reported")
	flag.Parse()
	if err := run(*docs, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

func run(docs, runs int) error {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "coldstart")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	strip := []string{"-ldflags", "-s -w"}
	fn, err := invoke.Build(ctx, ".", "place-order", filepath.Join(tmp, "bin"), strip...)
	if err != nil {
		return err
	}
	hello, err := invoke.BuildPackage(ctx, ".", "./infra/cmd/coldstart/hello", filepath.Join(tmp, "bin", "hello", "main"),
		invoke.SCF, append([]string{"-trimpath"}, strip...)...)
	if err != nil {
		return err
	}
	fnSize, helloSize := size(fn), size(hello)
	fmt.Printf("binary (linux/amd64, -trimpath -s -w)  place-order %.1f MB  hello %.1f MB  ratio %.2f (target ≤ 3)\n",
		mb(fnSize), mb(helloSize), float64(fnSize)/float64(helloSize))

	data := filepath.Join(tmp, "data")
	start := time.Now()
	if err := seed(ctx, app.Config{DataDir: data}.LocalFile(), docs); err != nil {
		return err
	}
	fmt.Printf("store: %d documents in the local file store (seeded in %s)\n", docs, time.Since(start).Round(time.Millisecond))

	event, err := os.ReadFile(filepath.Join("events", "http-place-order-unknown-product.json"))
	if err != nil {
		return err
	}
	if event, err = invoke.ExpandTokens(event, app.DefaultJWTSecret); err != nil {
		return err
	}
	env := []string{"CLOUDMARKET_MODE=local", "CLOUDMARKET_DATA_DIR=" + data}
	var fnTimes, helloTimes []time.Duration
	for i := 0; i < runs; i++ {
		d, _, err := coldStart(ctx, hello, nil, []byte(`{}`))
		if err != nil {
			return fmt.Errorf("hello: %w", err)
		}
		helloTimes = append(helloTimes, d)
		d, out, err := coldStart(ctx, fn, env, event)
		if err != nil {
			return fmt.Errorf("place-order: %w", err)
		}
		var resp struct{ StatusCode int }
		if json.Unmarshal(out, &resp) != nil || resp.StatusCode != 404 {
			return fmt.Errorf("place-order answered %s, want the sample's 404", out)
		}
		fnTimes = append(fnTimes, d)
	}
	f, h := median(fnTimes), median(helloTimes)
	fmt.Printf("exec to first invoke (median of %d)  place-order %s  hello %s  ratio %.2f (target ≤ 3)\n",
		runs, f.Round(10*time.Microsecond), h.Round(10*time.Microsecond), float64(f)/float64(h))
	return nil
}

// seed fills the store with audit events, five thousand per transaction (each commit rewrites a file store).
func seed(ctx context.Context, file string, n int) error {
	st, err := store.OpenFile(ctx, file)
	if err != nil {
		return err
	}
	at := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for done := 0; done < n; done += 5000 {
		_, err := store.Transact(ctx, st, func(tx *store.Tx) (int, error) {
			for i := done; i < min(done+5000, n); i++ {
				if _, err := tx.Record(market.Event{Type: market.EventOrderPaid, At: at.Add(time.Duration(i) * time.Second), Actor: "system:apply-payment",
					Subject: fmt.Sprintf("ord_%08d", i), ProviderID: fmt.Sprintf("prv_%04d", i%500),
					Data: market.OrderPaidData{TransactionID: fmt.Sprintf("4200%016d", i), AmountFen: int64(100000 + i), OrderAmountFen: int64(100000 + i)}}); err != nil {
					return 0, err
				}
			}
			return 0, nil
		})
		if err != nil {
			return err
		}
	}
	return st.Close(ctx)
}

// coldStart execs binary and returns the time until its first invoke answered.
func coldStart(ctx context.Context, binary string, env []string, event []byte) (time.Duration, []byte, error) {
	start := time.Now()
	p, err := invoke.Start(ctx, binary, env)
	if err != nil {
		return 0, nil, err
	}
	defer p.Stop()
	out, err := p.Invoke(event)
	return time.Since(start), out, err
}

func size(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func mb(n int64) float64 { return float64(n) / 1e6 }

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
