package cdk

import (
	"os"

	"github.com/aws/jsii-runtime-go"
)

// QuietJSII silences jsii's "Node 20 is end-of-life" banner (this machine runs Node 20) unless
// the caller chose otherwise. The jsii client is created, with a copy of the environment, while
// packages initialise; closing it before first use makes the next call start one that sees the
// variable. Types registered so far are kept: the registry is not per client.
func QuietJSII() {
	const silence = "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"
	if os.Getenv(silence) == "" {
		os.Setenv(silence, "20")
		jsii.Close()
	}
}
