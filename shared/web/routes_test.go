package web

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestServeRunsTheRouteInTimeAndLogsItsEnd(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	deadline := time.Now().Add(time.Minute)
	parent, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	rs := Routes{
		"GET /things/{id}": func(ctx context.Context, r Request, log *slog.Logger) (Response, *Problem) {
			if d, _ := ctx.Deadline(); !d.Equal(deadline.Add(-AnswerReserve)) {
				t.Errorf("the route's deadline is %v", d)
			}
			log.Info("working")
			return JSON(200, map[string]string{"id": r.PathParameters["id"]}), nil
		},
		"POST /things": func(context.Context, Request, *slog.Logger) (Response, *Problem) {
			return Response{}, Conflict("taken")
		},
	}
	req := Request{HTTPMethod: "GET", Resource: "/things/{id}", PathParameters: map[string]string{"id": "secret-id"}}
	req.RequestContext.RequestID = "req-1"
	if resp := rs.Serve(parent, req, log); resp.StatusCode != 200 || resp.Body != `{"id":"secret-id"}` {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
	if resp := rs.Serve(parent, Request{HTTPMethod: "POST", Resource: "/things"}, log); resp.StatusCode != 409 ||
		resp.Headers["Content-Type"] != "application/problem+json" {
		t.Fatalf("problem answered %d %v", resp.StatusCode, resp.Headers)
	}
	for _, miss := range []Request{{HTTPMethod: "DELETE", Resource: "/things/{id}"}, {HTTPMethod: "GET", Resource: "/things/1"}, {}} {
		if resp := rs.Serve(parent, miss, log); resp.StatusCode != 404 || !strings.Contains(resp.Body, `"title":"Not found"`) {
			t.Errorf("%s %s: %d %s", miss.HTTPMethod, miss.Resource, resp.StatusCode, resp.Body)
		}
	}
	out := logs.String()
	for _, want := range []string{`msg=working requestId=req-1 route="GET /things/{id}"`, "msg=\"request served\" requestId=req-1", "status=409", "status=404"} {
		if !strings.Contains(out, want) {
			t.Errorf("the logs lack %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "secret-id") {
		t.Error("a request's content was logged")
	}
}

func TestMatchNamesEveryDifference(t *testing.T) {
	rs := Routes{"GET /a": nil, "POST /a": nil}
	if err := rs.Match([]string{"POST /a", "GET /a"}); err != nil {
		t.Fatal(err)
	}
	err := rs.Match([]string{"GET /a", "GET /b"})
	if err == nil || !strings.Contains(err.Error(), "[POST /a]") || !strings.Contains(err.Error(), "[GET /b]") {
		t.Fatalf("%v", err)
	}
}
