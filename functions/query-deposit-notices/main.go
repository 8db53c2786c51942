// Command query-deposit-notices is the SCF function of that name: it wires its dependencies
// from the environment and serves scf-go-lib's RPC (see shared/app).
package main

import "cloudmarket/shared/app"

func main() {
	app.Start("query-deposit-notices")
}
