// Command hello is the smallest aws-lambda-go function: the yardstick that `make bench` measures every
// function's binary size and cold start against.
package main
