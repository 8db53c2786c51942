// Command smoke is `make smoke URL=… TOKEN=…`: read-only checks against a
// deployed stage (infra/smoke). It prints one line per check and exits 1 if
// any fails.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"cloudmarket/infra/smoke"
)

func main() {
	url := flag.String("url", "", "the stage's API, e.g. https://api.example.com")
	token := flag.String("token", "", "a signed-in caller's bearer token (any role)")
	flag.Parse()
	if *url == "" || *token == "" {
		fmt.Fprintln(os.Stderr, "usage: make smoke URL=https://api.example.com TOKEN=<a caller's token>")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	failed := 0
	for _, r := range smoke.Run(ctx, &http.Client{Timeout: 15 * time.Second}, *url, *token) {
		verdict := "ok  "
		if r.Err != nil {
			verdict, failed = "FAIL", failed+1
		}
		fmt.Printf("%s %-26s %3d %6.0fms requestId=%s", verdict, r.Check.Name, r.Status, float64(r.Latency.Microseconds())/1000, r.RequestID)
		if r.Err != nil {
			fmt.Printf("  %v", r.Err)
		}
		fmt.Println()
	}
	if failed > 0 {
		fmt.Printf("%d of %d checks failed\n", failed, len(smoke.Checks))
		os.Exit(1)
	}
}
