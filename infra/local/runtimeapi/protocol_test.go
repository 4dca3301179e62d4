package runtimeapi

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// These tests speak the Runtime API by hand, as a runtime other than aws-lambda-go would, to pin the
// answers the documented API gives.

type call struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, method, url, body string, header map[string]string) call {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return call{resp.StatusCode, resp.Header, string(b)}
}

// runtimeServer serves one instance's Runtime API with no process behind it.
func runtimeServer(t *testing.T) (*Pool, *instance, string) {
	p := NewPool(Config{Name: "manual", Timeout: time.Minute})
	in := newInstance(p)
	p.all[in] = struct{}{}
	srv := httptest.NewServer(in.routes())
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return p, in, srv.URL + "/2018-06-01/runtime"
}

// next long-polls in the background and hands the event over.
func next(t *testing.T, in *instance, base, payload string) (*invocation, call) {
	t.Helper()
	got := make(chan call, 1)
	go func() { got <- do(t, "GET", base+"/invocation/next", "", nil) }()
	inv := newInvocation([]byte(payload))
	if !in.deliver(inv, time.Minute) {
		t.Fatal("not delivered")
	}
	return inv, <-got
}

func TestNextCarriesTheEventAndItsHeaders(t *testing.T) {
	_, in, base := runtimeServer(t)
	inv, c := next(t, in, base, `{"hello":"world"}`)
	if c.status != 200 || c.body != `{"hello":"world"}` {
		t.Fatalf("next = %d %q", c.status, c.body)
	}
	if c.header.Get("Lambda-Runtime-Aws-Request-Id") != inv.id {
		t.Errorf("request id header = %q, want %q", c.header.Get("Lambda-Runtime-Aws-Request-Id"), inv.id)
	}
	if ms, err := strconv.ParseInt(c.header.Get("Lambda-Runtime-Deadline-Ms"), 10, 64); err != nil || ms != inv.deadline.UnixMilli() {
		t.Errorf("deadline header = %q", c.header.Get("Lambda-Runtime-Deadline-Ms"))
	}
	if c.header.Get("Lambda-Runtime-Invoked-Function-Arn") != "arn:aws:lambda:us-east-1:000000000000:function:manual" {
		t.Errorf("arn header = %q", c.header.Get("Lambda-Runtime-Invoked-Function-Arn"))
	}
	if !strings.HasPrefix(c.header.Get("Lambda-Runtime-Trace-Id"), "Root=1-") {
		t.Errorf("trace header = %q", c.header.Get("Lambda-Runtime-Trace-Id"))
	}
}

func TestResponseIsAcceptedOnceForTheCurrentRequestOnly(t *testing.T) {
	_, in, base := runtimeServer(t)
	inv, _ := next(t, in, base, `{}`)

	c := do(t, "POST", base+"/invocation/not-the-id/response", `"x"`, nil)
	if c.status != 400 || !strings.Contains(c.body, `"errorType":"InvalidRequestID"`) {
		t.Errorf("unknown id: %d %s", c.status, c.body)
	}
	c = do(t, "POST", base+"/invocation/"+inv.id+"/response", `{"ok":true}`, nil)
	if c.status != 202 || c.body != `{"status":"OK"}` {
		t.Errorf("response: %d %s", c.status, c.body)
	}
	c = do(t, "POST", base+"/invocation/"+inv.id+"/response", `{"ok":false}`, nil)
	if c.status != 403 {
		t.Errorf("second response: %d %s", c.status, c.body)
	}
	<-inv.done
	if inv.err != nil || string(inv.body) != `{"ok":true}` {
		t.Errorf("result = %q, %v", inv.body, inv.err)
	}
}

func TestErrorBodyAndErrorTypeHeader(t *testing.T) {
	_, in, base := runtimeServer(t)
	inv, _ := next(t, in, base, `{}`)
	c := do(t, "POST", base+"/invocation/"+inv.id+"/error", `{"errorMessage":"no such client","errorType":"NotFound","stackTrace":[]}`, nil)
	if c.status != 202 {
		t.Fatalf("error: %d %s", c.status, c.body)
	}
	<-inv.done
	var fe *FunctionError
	if !errors.As(inv.err, &fe) || fe.Type != "NotFound" || fe.Message != "no such client" {
		t.Errorf("function error = %v", inv.err)
	}

	// Without a readable body Lambda takes the type from the header.
	inv, _ = next(t, in, base, `{}`)
	do(t, "POST", base+"/invocation/"+inv.id+"/error", "not json", map[string]string{"Lambda-Runtime-Function-Error-Type": "Runtime.Custom"})
	<-inv.done
	if !errors.As(inv.err, &fe) || fe.Type != "Runtime.Custom" {
		t.Errorf("function error = %v", inv.err)
	}
}

func TestInitErrorAfterInitIsRefused(t *testing.T) {
	_, in, base := runtimeServer(t)
	next(t, in, base, `{}`)
	c := do(t, "POST", base+"/init/error", `{"errorMessage":"late","errorType":"X"}`, nil)
	var body struct{ ErrorType string }
	_ = json.Unmarshal([]byte(c.body), &body)
	if c.status != 403 || body.ErrorType != "InvalidStateTransition" {
		t.Errorf("late init error: %d %s", c.status, c.body)
	}
}
