package main

import (
	"testing"

	"github.com/council/cfp/infra/wiring"
)

// The route table serves exactly the routes the wiring gives the function.
func TestRoutesAreTheWirings(t *testing.T) {
	fn, _ := wiring.Find("signin")
	if err := (Handler{}).routes().Match(fn.RouteKeys()); err != nil {
		t.Error(err)
	}
}
