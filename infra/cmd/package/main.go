// Command package is `make package STAGE=…`: every function of the catalogue
// built for SCF (linux/amd64, stripped) into .build/<stage>/ — the code
// folders serverless.yml deploys, one zip per function and manifest.json
// with each zip's size and sha256.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"cloudmarket/infra/pack"
	"cloudmarket/shared/app"
)

func main() {
	root := flag.String("root", ".", "the repository's root")
	stage := flag.String("stage", "", "the stage (serverless.yml's STAGE): the output is .build/<stage>/")
	flag.Parse()
	if err := pack.CheckStage(*stage); err != nil {
		fail(err)
	}
	var names []string
	for _, fn := range app.Catalogue {
		names = append(names, fn.Name)
	}
	dir := filepath.Join(*root, ".build", *stage)
	manifest, err := pack.Package(*root, dir, names)
	if err != nil {
		fail(err)
	}
	var total int64
	for _, e := range manifest {
		total += e.Size
	}
	fmt.Printf("%d functions, %.1f MB zipped, in %s (manifest.json)\n", len(manifest), float64(total)/1e6, dir)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "package:", err)
	os.Exit(1)
}
