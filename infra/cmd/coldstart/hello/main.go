// Command hello is the smallest scf-go-lib function: the baseline that make
// bench compares a function's binary size and cold start with.
package main

import (
	"context"

	"github.com/tencentyun/scf-go-lib/cloudfunction"
)

func hello(context.Context, map[string]any) (string, error) { return "hello", nil }

func main() { cloudfunction.Start(hello) }
