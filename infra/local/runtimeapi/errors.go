package runtimeapi

import (
	"encoding/json"
	"errors"
	"fmt"
)

// FunctionError is an error as Lambda reports it: what the function posted to /error, or what Lambda
// itself says went wrong (Sandbox.Timedout, Runtime.ExitError, ...). Errors from Invoke carry it as
// *FunctionError; use errors.As.
type FunctionError struct {
	Type, Message string
}

func (e *FunctionError) Error() string {
	if e.Message == "" {
		return e.Type
	}
	return e.Type + ": " + e.Message
}

var (
	// ErrTimeout is wrapped when an invocation (or an instance's init) passes its deadline. It has
	// Timeout() true, so callers can recognise it without importing this package.
	ErrTimeout error = timeoutError{}
	// ErrCrashed is wrapped when the process exits during an invocation or fails its init.
	ErrCrashed = errors.New("runtimeapi: function process crashed")
	// ErrClosed is returned once the pool is closed.
	ErrClosed = errors.New("runtimeapi: pool closed")
	// ErrPayloadTooLarge is returned for an event bigger than MaxPayload, which Lambda refuses.
	ErrPayloadTooLarge = errors.New("runtimeapi: request payload larger than 6 MiB")
)

type timeoutError struct{}

func (timeoutError) Error() string { return "runtimeapi: function timed out" }
func (timeoutError) Timeout() bool { return true }

// parseError reads an error body as the Runtime API defines it. Lambda falls back to the
// Lambda-Runtime-Function-Error-Type header when the body is missing or unreadable.
func parseError(body []byte, headerType, fallback string) *FunctionError {
	var b struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}
	if json.Unmarshal(body, &b) != nil {
		b.Message, b.Type = "", ""
	}
	if b.Type == "" {
		b.Type = headerType
	}
	if b.Type == "" {
		b.Type = fallback
	}
	return &FunctionError{Type: b.Type, Message: b.Message}
}

// wrap makes an error that is both the sentinel (errors.Is) and the FunctionError (errors.As).
func wrap(sentinel error, fe *FunctionError) error { return fmt.Errorf("%w: %w", sentinel, fe) }
