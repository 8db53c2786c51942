// Command invoke is `make invoke FN=<name> EVENT=<file>`: build the function,
// start it as SCF does, send the event over scf-go-lib's RPC, print the answer.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"cloudmarket/infra/invoke"
	"cloudmarket/shared/app"
)

func main() {
	fn := flag.String("fn", "", "function name (a folder of functions/)")
	event := flag.String("event", "", "event JSON file, e.g. events/http-create-license-upload-png.json")
	flag.Parse()
	if *fn == "" || *event == "" {
		fmt.Fprintln(os.Stderr, "usage: invoke -fn <name> -event <file>")
		os.Exit(2)
	}
	payload, err := os.ReadFile(*event)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	secret := os.Getenv("CLOUDMARKET_JWT_SECRET")
	if secret == "" {
		secret = app.DefaultJWTSecret
	}
	if payload, err = invoke.ExpandTokens(payload, secret); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx := context.Background()
	bin, err := invoke.Build(ctx, ".", *fn, ".build")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, err := invoke.Run(ctx, bin, nil, payload)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(string(out))
}
