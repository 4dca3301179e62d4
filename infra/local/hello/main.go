// Command hello is the smallest aws-lambda-go function: the yardstick that `make bench` measures every
// function's binary size and cold start against.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, map[string]any) (string, error) { return "hello", nil })
}
