package main

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/services"
	"github.com/council/cfp/infra/local/stack"
)

// A small run of every scenario, so the load test keeps working: the limits hold and nothing else
// is refused. (Its numbers are for `make load`, not for assertions.)
func TestLoadScenariosHold(t *testing.T) {
	root, err := services.Root()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	st, err := stack.Start(ctx, stack.Config{Root: root, Schedule: time.Second, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	results, err := Run(ctx, st, 12, 3)
	for _, r := range results {
		t.Log(r)
	}
	if err != nil {
		t.Fatal(err)
	}
}
