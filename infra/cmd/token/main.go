// Command token prints a local HS256 token (make token ROLE=… SUB=…). Local
// mode only: production tokens come from the gateway's identity provider.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"cloudmarket/shared/app"
	"cloudmarket/shared/httpapi"
)

func main() {
	roles := flag.String("role", "provider", "comma-separated roles: provider, buyer, operator:reviewer, operator:finance, operator:risk")
	sub := flag.String("sub", "100000000001", "the caller's cloud account ID")
	ttl := flag.Duration("ttl", 24*time.Hour, "validity")
	flag.Parse()
	secret := os.Getenv("CLOUDMARKET_JWT_SECRET")
	if secret == "" {
		secret = app.DefaultJWTSecret
	}
	tok, err := httpapi.Mint([]byte(secret), *sub, strings.Split(*roles, ","), *ttl, time.Now())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(tok)
}
