// Command fn is the function the runtimeapi tests run: a real aws-lambda-go binary whose event says
// what to do. TEST_INIT makes its init fail; TEST_CHILD makes it a child process that just waits.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Action  string `json:"action"`
	Message string `json:"message"`
	Millis  int    `json:"millis"`
	URL     string `json:"url"`
	File    string `json:"file"`
	Size    int    `json:"size"`
}

type reply struct {
	Message    string            `json:"message,omitempty"`
	PID        int               `json:"pid"`
	Child      int               `json:"child,omitempty"`
	Env        map[string]string `json:"env,omitempty"`
	RequestID  string            `json:"requestId,omitempty"`
	ARN        string            `json:"arn,omitempty"`
	DeadlineMs int64             `json:"deadlineMs,omitempty"`
	Blob       string            `json:"blob,omitempty"`
}

func main() {
	if os.Getenv("TEST_CHILD") != "" {
		time.Sleep(time.Hour) // a process the function leaves behind
		return
	}
	switch os.Getenv("TEST_INIT") {
	case "exit":
		os.Exit(2)
	case "post":
		// aws-lambda-go never posts /init/error itself; a runtime that fails its init does this.
		url := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/init/error"
		body := `{"errorMessage":"cannot load configuration","errorType":"Runtime.ConfigError"}`
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		if err == nil {
			resp.Body.Close()
		}
		os.Exit(1)
	}
	lambda.Start(handle)
}

func handle(ctx context.Context, ev event) (*reply, error) {
	r := &reply{PID: os.Getpid()}
	switch ev.Action {
	case "echo":
		fmt.Println("echo:", ev.Message) // goes to the pool's log
		r.Message = ev.Message
	case "context":
		lc, _ := lambdacontext.FromContext(ctx)
		dl, _ := ctx.Deadline()
		r.RequestID, r.ARN, r.DeadlineMs = lc.AwsRequestID, lc.InvokedFunctionArn, dl.UnixMilli()
		r.Env = map[string]string{}
		for _, k := range []string{"AWS_LAMBDA_RUNTIME_API", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
			"AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_LOG_STREAM_NAME", "_HANDLER", "AWS_EXECUTION_ENV", "EXTRA", "HOME"} {
			r.Env[k] = os.Getenv(k)
		}
	case "error":
		return nil, errors.New(ev.Message)
	case "panic":
		panic(ev.Message)
	case "sleep":
		time.Sleep(time.Duration(ev.Millis) * time.Millisecond) // ignores its deadline on purpose
	case "exit":
		os.Exit(3)
	case "spawn":
		self, _ := os.Executable()
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), "TEST_CHILD=1")
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		r.Child = cmd.Process.Pid
	case "barrier":
		// Blocks until the test's barrier has seen every invocation it waits for.
		resp, err := http.Get(ev.URL)
		if err != nil {
			return nil, err
		}
		resp.Body.Close()
	case "record":
		// Appends a line per attempt, then fails if asked to: counts async retries.
		f, err := os.OpenFile(ev.File, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, err
		}
		fmt.Fprintln(f, "attempt")
		f.Close()
		if ev.Message != "" {
			return nil, errors.New(ev.Message)
		}
	case "big":
		r.Blob = string(bytes.Repeat([]byte("x"), ev.Size))
	default:
		return nil, fmt.Errorf("unknown action %q", ev.Action)
	}
	return r, nil
}
