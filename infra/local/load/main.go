// Command load is a bounded load test of the local stack on loopback (`make load`): sign-in code
// requests, signed-in document lists and access-request submissions, each a fixed number of
// requests at a fixed concurrency under an overall deadline, plus the rate limits that must hold.
// It reports throughput, latency percentiles and status counts, and exits non-zero on any
// unexpected answer (a 5xx, a 429 where none belongs, or a missing 429 where one must come).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/council/cfp/infra/local/services"
	"github.com/council/cfp/infra/local/stack"
)

func main() {
	n := flag.Int("n", 200, "requests per scenario")
	c := flag.Int("c", 8, "concurrent clients per scenario")
	limit := flag.Duration("deadline", 3*time.Minute, "overall bound")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *limit)
	defer cancel()
	root, err := services.Root()
	if err != nil {
		fail(err)
	}
	fmt.Fprintln(os.Stderr, "load: starting a local stack on free loopback ports...")
	st, err := stack.Start(ctx, stack.Config{Root: root, Schedule: time.Second})
	if err != nil {
		fail(err)
	}
	defer st.Close()
	results, err := Run(ctx, st, *n, *c)
	for _, r := range results {
		fmt.Println(r)
	}
	if err != nil {
		st.Close()
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "load:", err)
	os.Exit(1)
}
