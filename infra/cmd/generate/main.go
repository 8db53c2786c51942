// Command generate is `make generate`: it writes serverless.yml,
// infra/terraform/routes.json and every functions/<name>/main.go from the
// function catalogue in shared/app/catalogue.go.
package main

import (
	"flag"
	"fmt"
	"os"

	"cloudmarket/infra/generate"
	"cloudmarket/shared/app"
)

func main() {
	root := flag.String("root", ".", "the repository's root")
	flag.Parse()
	if err := generate.Write(*root, app.Catalogue); err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
}
