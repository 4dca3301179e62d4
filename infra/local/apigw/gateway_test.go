package apigw

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// fakeFn stands in for a function: it records each event and answers with reply.
type fakeFn struct {
	mu     sync.Mutex
	events []events.APIGatewayProxyRequest
	raw    [][]byte
	reply  func(ev events.APIGatewayProxyRequest) ([]byte, error)
}

func (f *fakeFn) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.events = append(f.events, ev)
	f.raw = append(f.raw, payload)
	f.mu.Unlock()
	if f.reply == nil {
		return json.Marshal(events.APIGatewayProxyResponse{StatusCode: 200, Body: `{"ok":true}`})
	}
	return f.reply(ev)
}

func (f *fakeFn) last(t *testing.T) events.APIGatewayProxyRequest {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.events) == 0 {
		t.Fatal("the function was not invoked")
	}
	return f.events[len(f.events)-1]
}

func (f *fakeFn) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.events)
}

func respond(resp events.APIGatewayProxyResponse) func(events.APIGatewayProxyRequest) ([]byte, error) {
	return func(events.APIGatewayProxyRequest) ([]byte, error) { return json.Marshal(resp) }
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serve starts the gateway on a loopback port.
func serve(t *testing.T, routes []Route) (string, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	srv := httptest.NewServer(New(routes, logs))
	t.Cleanup(srv.Close)
	return srv.URL, logs
}

func send(t *testing.T, method, url string, body io.Reader, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestPathParametersAreDecodedAndThePathIsNot(t *testing.T) {
	fn := &fakeFn{}
	base, _ := serve(t, []Route{{"GET", "/clients/{clientReference}/documents", fn}})
	resp, _ := send(t, "GET", base+"/clients/ab%2Fc%20d%2B1%C3%A9/documents", nil, http.Header{"User-Agent": {"portal-test"}})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	ev := fn.last(t)
	if got := ev.PathParameters["clientReference"]; got != "ab/c d+1é" {
		t.Errorf("path parameter = %q", got)
	}
	if ev.Path != "/clients/ab%2Fc%20d%2B1%C3%A9/documents" {
		t.Errorf("path = %q, want it as sent", ev.Path)
	}
	if ev.Resource != "/clients/{clientReference}/documents" || ev.RequestContext.ResourcePath != ev.Resource {
		t.Errorf("resource = %q, resourcePath = %q", ev.Resource, ev.RequestContext.ResourcePath)
	}
	rc := ev.RequestContext
	if ev.HTTPMethod != "GET" || rc.HTTPMethod != "GET" || rc.Stage != "local" || rc.Path != ev.Path {
		t.Errorf("request context = %+v", rc)
	}
	if rc.RequestID == "" || rc.RequestID != resp.Header.Get("X-Amzn-Requestid") {
		t.Errorf("request id %q, response header %q", rc.RequestID, resp.Header.Get("X-Amzn-Requestid"))
	}
	if rc.Identity.SourceIP != "127.0.0.1" || rc.Identity.UserAgent != "portal-test" || rc.RequestTimeEpoch == 0 {
		t.Errorf("identity = %+v, epoch %d", rc.Identity, rc.RequestTimeEpoch)
	}
}

func TestMostSpecificRouteWins(t *testing.T) {
	get, submit, other, greedy := &fakeFn{}, &fakeFn{}, &fakeFn{}, &fakeFn{}
	base, _ := serve(t, []Route{
		{"GET", "/access-requests/{id}", get},
		{"POST", "/access-requests/{id}/submit", submit},
		{"POST", "/access-requests/{id}/{action}", other},
		{"ANY", "/files/{path+}", greedy},
	})
	send(t, "POST", base+"/access-requests/r1/submit", nil, nil)
	send(t, "POST", base+"/access-requests/r1/withdraw", nil, nil)
	send(t, "GET", base+"/access-requests/r2", nil, nil)
	send(t, "DELETE", base+"/files/a/b%2Fc/d", nil, nil)
	if submit.calls() != 1 || other.calls() != 1 || get.calls() != 1 || greedy.calls() != 1 {
		t.Fatalf("calls: submit %d, other %d, get %d, greedy %d", submit.calls(), other.calls(), get.calls(), greedy.calls())
	}
	if p := other.last(t).PathParameters; p["id"] != "r1" || p["action"] != "withdraw" {
		t.Errorf("params = %v", p)
	}
	if p := greedy.last(t).PathParameters["path"]; p != "a/b/c/d" {
		t.Errorf("greedy param = %q", p)
	}
}

func TestHeadersAndQueriesSingleAndMultiValued(t *testing.T) {
	fn := &fakeFn{}
	base, _ := serve(t, []Route{{"GET", "/me", fn}})
	send(t, "GET", base+"/me?a=1&a=2&b=x%20y&c=%26%3D", nil, http.Header{
		"X-Thing":         {"first", "second"},
		"X-Forwarded-For": {"203.0.113.9"},
	})
	ev := fn.last(t)
	if ev.Headers["X-Thing"] != "second" || strings.Join(ev.MultiValueHeaders["X-Thing"], ",") != "first,second" {
		t.Errorf("headers %q, multi %q", ev.Headers["X-Thing"], ev.MultiValueHeaders["X-Thing"])
	}
	if ev.QueryStringParameters["a"] != "2" || strings.Join(ev.MultiValueQueryStringParameters["a"], ",") != "1,2" {
		t.Errorf("query a = %q, multi %q", ev.QueryStringParameters["a"], ev.MultiValueQueryStringParameters["a"])
	}
	if ev.QueryStringParameters["b"] != "x y" || ev.QueryStringParameters["c"] != "&=" {
		t.Errorf("query not decoded: %v", ev.QueryStringParameters)
	}
	if ev.Headers["Host"] == "" {
		t.Error("no Host header")
	}
	// A caller cannot choose its source address: X-Forwarded-For is passed on, the real one appended.
	if ev.RequestContext.Identity.SourceIP != "127.0.0.1" || ev.Headers["X-Forwarded-For"] != "203.0.113.9, 127.0.0.1" {
		t.Errorf("source ip %q, X-Forwarded-For %q", ev.RequestContext.Identity.SourceIP, ev.Headers["X-Forwarded-For"])
	}

	send(t, "GET", base+"/me", nil, nil)
	raw := string(fn.raw[len(fn.raw)-1])
	for _, field := range []string{`"queryStringParameters":null`, `"multiValueQueryStringParameters":null`, `"pathParameters":null`} {
		if !strings.Contains(raw, field) {
			t.Errorf("event without query or parameters lacks %s: %s", field, raw)
		}
	}
}

func TestBinaryBodiesAreBase64AndTextIsNot(t *testing.T) {
	fn := &fakeFn{}
	base, _ := serve(t, []Route{{"POST", "/upload", fn}})
	file := make([]byte, 256)
	for i := range file {
		file[i] = byte(i)
	}
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	part, _ := mw.CreateFormFile("file", "lpa.pdf")
	part.Write(file)
	mw.Close()

	cases := []struct {
		contentType string
		body        []byte
		binary      bool
	}{
		{mw.FormDataContentType(), form.Bytes(), true},
		{"application/octet-stream", file, true},
		{"image/png", file, true},
		{"application/pdf", file, true},
		{"application/json; charset=utf-8", []byte(`{"name":"Ann <a&b>"}`), false},
		{"application/x-www-form-urlencoded", []byte("action=approve&clientReference=123456"), false},
	}
	for _, c := range cases {
		send(t, "POST", base+"/upload", bytes.NewReader(c.body), http.Header{"Content-Type": {c.contentType}})
		ev := fn.last(t)
		got := []byte(ev.Body)
		if ev.IsBase64Encoded {
			got, _ = base64.StdEncoding.DecodeString(ev.Body)
		}
		if ev.IsBase64Encoded != c.binary || !bytes.Equal(got, c.body) {
			t.Errorf("%s: base64 %v (want %v), body intact %v", c.contentType, ev.IsBase64Encoded, c.binary, bytes.Equal(got, c.body))
		}
	}
}

func TestResponseHeadersCookiesAndBinaryBody(t *testing.T) {
	pdf := []byte("%PDF-1.7\x00\xff\xfe binary")
	fn := &fakeFn{reply: respond(events.APIGatewayProxyResponse{
		StatusCode: 201,
		Headers:    map[string]string{"Content-Type": "application/pdf", "Set-Cookie": "a=1; Path=/", "X-One": "1"},
		MultiValueHeaders: map[string][]string{
			"Set-Cookie": {"a=1; Path=/", "b=2; Path=/; HttpOnly", "c=3; Path=/"},
		},
		Body:            base64.StdEncoding.EncodeToString(pdf),
		IsBase64Encoded: true,
	})}
	base, _ := serve(t, []Route{{"GET", "/doc", fn}})
	resp, body := send(t, "GET", base+"/doc", nil, nil)
	if resp.StatusCode != 201 || body != string(pdf) {
		t.Errorf("status %d, body %q", resp.StatusCode, body)
	}
	if got := resp.Header.Values("Set-Cookie"); strings.Join(got, "|") != "a=1; Path=/|b=2; Path=/; HttpOnly|c=3; Path=/" {
		t.Errorf("Set-Cookie = %q", got)
	}
	if resp.Header.Get("Content-Type") != "application/pdf" || resp.Header.Get("X-One") != "1" {
		t.Errorf("headers = %v", resp.Header)
	}

	plain := &fakeFn{reply: respond(events.APIGatewayProxyResponse{StatusCode: 200, Body: `{"a":1}`})}
	base, _ = serve(t, []Route{{"GET", "/plain", plain}})
	resp, body = send(t, "GET", base+"/plain", nil, nil)
	if resp.Header.Get("Content-Type") != "application/json" || body != `{"a":1}` {
		t.Errorf("default content type %q, body %q", resp.Header.Get("Content-Type"), body)
	}
}

func TestUnknownPathAndWrongMethod(t *testing.T) {
	fn := &fakeFn{}
	base, _ := serve(t, []Route{{"GET", "/review/{token}", fn}, {"POST", "/review/{token}", fn}})
	resp, body := send(t, "GET", base+"/nowhere", nil, nil)
	if resp.StatusCode != 404 || body != `{"message":"Not Found"}` || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("unknown path: %d %s", resp.StatusCode, body)
	}
	resp, _ = send(t, "DELETE", base+"/review/abc", nil, nil)
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, POST" {
		t.Errorf("wrong method: %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	resp, _ = send(t, "GET", base+"/review/", nil, nil)
	if resp.StatusCode != 404 {
		t.Errorf("empty path parameter: %d, want 404", resp.StatusCode)
	}
	if fn.calls() != 0 {
		t.Errorf("function invoked %d times", fn.calls())
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string { return "function timed out" }
func (timeoutErr) Timeout() bool { return true }

func TestFunctionFailuresMapToGatewayErrors(t *testing.T) {
	cases := []struct {
		name   string
		reply  func(events.APIGatewayProxyRequest) ([]byte, error)
		status int
		body   string
	}{
		{"function error", func(events.APIGatewayProxyRequest) ([]byte, error) {
			return nil, errors.New("errorString: boom")
		}, 502, `{"message":"Internal server error"}`},
		{"timeout", func(events.APIGatewayProxyRequest) ([]byte, error) {
			return nil, fmt.Errorf("runtime: %w", timeoutErr{})
		}, 504, `{"message":"Endpoint request timed out"}`},
		{"integration deadline", func(events.APIGatewayProxyRequest) ([]byte, error) {
			return nil, context.DeadlineExceeded
		}, 504, `{"message":"Endpoint request timed out"}`},
		{"not json", func(events.APIGatewayProxyRequest) ([]byte, error) {
			return []byte("hello"), nil
		}, 502, `{"message":"Internal server error"}`},
		{"no status code", func(events.APIGatewayProxyRequest) ([]byte, error) {
			return []byte(`{"body":"x"}`), nil
		}, 502, `{"message":"Internal server error"}`},
		{"bad base64", respond(events.APIGatewayProxyResponse{StatusCode: 200, Body: "***", IsBase64Encoded: true}),
			502, `{"message":"Internal server error"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base, _ := serve(t, []Route{{"POST", "/session", &fakeFn{reply: c.reply}}})
			resp, body := send(t, "POST", base+"/session", strings.NewReader(`{}`), nil)
			if resp.StatusCode != c.status || body != c.body {
				t.Errorf("got %d %s, want %d %s", resp.StatusCode, body, c.status, c.body)
			}
		})
	}
}

// unsized hides the length, so the request is sent chunked.
type unsized struct{ io.Reader }

func TestBodyLimit(t *testing.T) {
	fn := &fakeFn{}
	base, _ := serve(t, []Route{{"POST", "/access-requests", fn}})

	resp, body := send(t, "POST", base+"/access-requests", bytes.NewReader(make([]byte, MaxBody+1)), nil)
	if resp.StatusCode != 413 || body != `{"message":"Request Too Long"}` {
		t.Errorf("declared oversize: %d %s", resp.StatusCode, body)
	}
	resp, _ = send(t, "POST", base+"/access-requests", unsized{bytes.NewReader(make([]byte, MaxBody+1))}, nil)
	if resp.StatusCode != 413 {
		t.Errorf("chunked oversize: %d", resp.StatusCode)
	}
	if fn.calls() != 0 {
		t.Fatal("an oversized request reached the function")
	}
	resp, _ = send(t, "POST", base+"/access-requests", unsized{bytes.NewReader(make([]byte, MaxBody))}, http.Header{"Content-Type": {"application/octet-stream"}})
	if resp.StatusCode != 200 || fn.calls() != 1 {
		t.Errorf("a body of exactly the limit: %d, calls %d", resp.StatusCode, fn.calls())
	}
}

func TestLogLineNamesTheRouteNotItsValues(t *testing.T) {
	fn := &fakeFn{reply: respond(events.APIGatewayProxyResponse{StatusCode: 303})}
	base, logs := serve(t, []Route{{"POST", "/review/{token}", fn}})
	resp, _ := send(t, "POST", base+"/review/SECRETTOKEN?code=987654", strings.NewReader("note=phoned+Mrs+Smith"),
		http.Header{"Authorization": {"Bearer sesame"}, "Content-Type": {"application/x-www-form-urlencoded"}})
	send(t, "GET", base+"/unknown/SECRETPATH", nil, nil)

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one line per request, got:\n%s", logs)
	}
	id := resp.Header.Get("X-Amzn-Requestid")
	if !strings.HasPrefix(lines[0], "apigw POST /review/{token} 303 ") || !strings.HasSuffix(lines[0], " req="+id) {
		t.Errorf("log line = %q", lines[0])
	}
	if !strings.HasPrefix(lines[1], "apigw GET - 404 ") {
		t.Errorf("log line = %q", lines[1])
	}
	for _, secret := range []string{"SECRETTOKEN", "987654", "sesame", "Smith", "SECRETPATH"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log contains %q:\n%s", secret, logs)
		}
	}
}

func TestConflictingRoutesAreRefused(t *testing.T) {
	fn := &fakeFn{}
	for _, routes := range [][]Route{
		{{"GET", "/a/{x}", fn}, {"POST", "/a/{y}", fn}},
		{{"GET", "/a", fn}, {"GET", "/a", fn}},
		{{"GET", "/a/{p+}/b", fn}},
		{{"GET", "a", fn}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("routes %v accepted", routes)
				}
			}()
			New(routes, nil)
		}()
	}
}

func TestPreflightAnswersThePortalOnly(t *testing.T) {
	h := New([]Route{{Method: "POST", Path: "/session", Fn: &fakeFn{}}}, nil, CORS("http://localhost:8080", "Content-Type", "Idempotency-Key"))
	for origin, want := range map[string]string{"http://localhost:8080": "http://localhost:8080", "https://evil.example": ""} {
		r := httptest.NewRequest("OPTIONS", "/session", nil)
		r.Header.Set("Origin", origin)
		r.Header.Set("Access-Control-Request-Method", "POST")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 204 || w.Header().Get("Access-Control-Allow-Origin") != want {
			t.Errorf("origin %s: %d %v", origin, w.Code, w.Header())
		}
		if want != "" && (w.Header().Get("Access-Control-Allow-Credentials") != "true" || !strings.Contains(w.Header().Get("Access-Control-Allow-Methods"), "POST") ||
			w.Header().Get("Access-Control-Allow-Headers") != "Content-Type,Idempotency-Key") {
			t.Errorf("preflight headers %v", w.Header())
		}
	}
}
