package faults

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Fault is the answer a failed request gets.
type Fault struct {
	Status int
	Header map[string]string
	Body   string
	// Delay holds the request this long before it is answered, or until Heal (or the next Fail),
	// or until the caller gives up, whichever comes first: a stalled service. A caller whose own
	// deadline comes first never gets an answer.
	Delay time.Duration
	// Through lets the request reach the service before the fault applies, so the service acts on
	// it: the caller then gets the fault's answer in place of the service's (a lost answer), or,
	// with Status 0, the service's own answer after Delay (a late one).
	Through bool
}

// Answers as the AWS services give them, in the shapes the SDK parses, so its retryer and error
// types treat them as it would treat the real thing.
var (
	// SESThrottling is SES v2's "too many requests" (REST-JSON; the SDK's
	// types.TooManyRequestsException, a throttling error to its retryer).
	SESThrottling = Fault{Status: http.StatusTooManyRequests, Header: map[string]string{
		"Content-Type": "application/json", "X-Amzn-ErrorType": "TooManyRequestsException",
	}, Body: `{"message":"Too many requests"}`}
	// DynamoDBThrottling is DynamoDB's ThrottlingException (JSON 1.0).
	DynamoDBThrottling = Fault{Status: http.StatusBadRequest, Header: map[string]string{
		"Content-Type": "application/x-amz-json-1.0",
	}, Body: `{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}`}
	// S3SlowDown is S3's 503 SlowDown.
	S3SlowDown = Fault{Status: http.StatusServiceUnavailable, Header: map[string]string{
		"Content-Type": "application/xml",
	}, Body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`}
	// ServerError is a bare 500, which every SDK client retries.
	ServerError = Fault{Status: http.StatusInternalServerError, Header: map[string]string{
		"Content-Type": "application/json",
	}, Body: `{"message":"Internal server error"}`}
)

// Stall is a service that takes d to answer and then fails with a server error; a caller with a
// deadline sooner than d times out first. The request never reaches the service.
func Stall(d time.Duration) Fault {
	f := ServerError
	f.Delay = d
	return f
}

// LostAnswer is a request the service carries out but whose answer is lost on the way back: the
// caller gets a server error (which SDKs retry) although the write, say, has been made.
func LostAnswer() Fault {
	f := ServerError
	f.Through = true
	return f
}

// LateAnswer is a request the service carries out at once, whose answer reaches the caller d
// later, or never if the caller gives up first (an answer that outlives the caller's timeout).
func LateAnswer(d time.Duration) Fault { return Fault{Delay: d, Through: true} }

// Rule says which requests to fail: a Share (0 to 1) of those whose Operation matches ("" for
// every request) and whose path, query and body contain every string of Contains, answered
// with Fault. Contains scopes a fault to one test's own requests (a request id, an address, a
// status) among those of the other functions working beside it.
type Rule struct {
	Operation string
	Contains  []string
	Share     float64
	Fault     Fault
}

func (r *Rule) matches(op string) bool { return r.Operation == "" || r.Operation == op }

// holds reports whether every string of Contains is in the request's target (path and query) or
// in its body.
func (r *Rule) holds(target string, body []byte) bool {
	for _, s := range r.Contains {
		if !strings.Contains(target, s) && !bytes.Contains(body, []byte(s)) {
			return false
		}
	}
	return true
}

// Exchange is one passed-through request and its answer, for an Inspect function.
type Exchange struct {
	Operation string
	Request   []byte
	Status    int
	Response  []byte
}

// Proxy is one fault-injecting, counting reverse proxy on a loopback port.
type Proxy struct {
	srv *http.Server
	url string

	mu       sync.Mutex
	rule     *Rule
	release  chan struct{} // closed when the rule ends: requests it holds are let go
	matched  int
	passed   map[string]int
	failed   map[string]int
	inspect  func(Exchange)
	shutdown sync.Once
}

// Start starts a proxy on a free 127.0.0.1 port in front of target (a base URL).
func Start(target string) (*Proxy, error) {
	to, err := url.Parse(target)
	if err != nil || to.Host == "" {
		return nil, fmt.Errorf("faults: bad target %q", target)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faults: %w", err)
	}
	p := &Proxy{url: "http://" + l.Addr().String(), passed: map[string]int{}, failed: map[string]int{}, release: make(chan struct{})}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(to)
			r.Out.Host = r.In.Host // as the client signed it
		},
		// Every local process talks to the services through here at once under load.
		Transport:      &http.Transport{MaxIdleConnsPerHost: 128, IdleConnTimeout: 30 * time.Second},
		ModifyResponse: p.observe,
	}
	p.srv = &http.Server{Handler: p.handler(rp), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(l) }()
	return p, nil
}

// URL is the proxy's base URL: give it to clients in place of the target's.
func (p *Proxy) URL() string { return p.url }

// Close stops the proxy.
func (p *Proxy) Close() error {
	var err error
	p.shutdown.Do(func() {
		p.Heal() // let held requests go, so that shutting down does not wait for them
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = p.srv.Shutdown(ctx)
	})
	return err
}

// Fail starts failing requests by the rule (replacing any earlier rule, and letting go the
// requests that one holds).
func (p *Proxy) Fail(r Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.endRule()
	p.rule, p.matched = &r, 0
}

// Heal stops failing requests. Requests held by a Delay are let go at once and answered as their
// fault says (a stalled request with its error, a late answer with the service's answer).
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.endRule()
	p.rule = nil
}

// endRule lets go the requests the current rule holds; p.mu is held.
func (p *Proxy) endRule() {
	close(p.release)
	p.release = make(chan struct{})
}

// Counts returns how many requests of each operation were passed through to the service.
func (p *Proxy) Counts() map[string]int { return p.copy(p.passed) }

// Failures returns how many requests of each operation were failed by a rule.
func (p *Proxy) Failures() map[string]int { return p.copy(p.failed) }

// Reset zeroes the counters.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.passed, p.failed = map[string]int{}, map[string]int{}
}

// Inspect calls fn with every passed-through request and its answer, bodies included (nil: stop).
// Bodies are read into memory, so use it in front of services whose bodies are small (DynamoDB).
func (p *Proxy) Inspect(fn func(Exchange)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inspect = fn
}

func (p *Proxy) copy(m map[string]int) map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

type ctxKey struct{}

type pending struct {
	op      string
	request []byte
}

func (p *Proxy) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := Operation(r)
		p.mu.Lock()
		inspecting := p.inspect != nil
		needBody := inspecting || p.rule != nil && p.rule.matches(op) && len(p.rule.Contains) > 0
		p.mu.Unlock()
		var body []byte
		if needBody && r.Body != nil {
			var err error
			if body, err = io.ReadAll(r.Body); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		f, fail, release := p.decide(op, r.URL.RequestURI(), body)
		if inspecting {
			r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, pending{op, body}))
		}
		switch {
		case !fail:
			next.ServeHTTP(w, r)
		case !f.Through:
			if hold(r.Context(), f.Delay, release) {
				writeFault(w, f)
			}
		default:
			// The service gets the whole request even if the caller gives up meanwhile, as a
			// service that has started on a request finishes it.
			answer := httptest.NewRecorder()
			next.ServeHTTP(answer, r.WithContext(context.WithoutCancel(r.Context())))
			if !hold(r.Context(), f.Delay, release) {
				return // the caller has gone: the answer is lost
			}
			if f.Status != 0 {
				writeFault(w, f)
				return
			}
			for k, v := range answer.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(answer.Code)
			_, _ = w.Write(answer.Body.Bytes())
		}
	})
}

// hold waits d, or until release is closed, and reports whether the caller is still there.
func hold(ctx context.Context, d time.Duration, release <-chan struct{}) bool {
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-release:
		case <-ctx.Done():
		}
	}
	return ctx.Err() == nil
}

func writeFault(w http.ResponseWriter, f Fault) {
	for k, v := range f.Header {
		w.Header().Set(k, v)
	}
	w.Header().Set("X-Amzn-RequestId", "faults-injected")
	w.WriteHeader(f.Status)
	_, _ = io.WriteString(w, f.Body)
}

// decide counts the request and says whether the rule fails it, and what lets it go if the fault
// holds it. Failures are spread evenly: the n-th matching request fails when floor(n*share) steps
// up. A request let through to the service (Fault.Through) counts as passed and as failed.
func (p *Proxy) decide(op, target string, body []byte) (Fault, bool, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r := p.rule; r != nil && r.matches(op) && r.holds(target, body) {
		p.matched++
		n := float64(p.matched)
		if math.Floor(n*r.Share) > math.Floor((n-1)*r.Share) {
			p.failed[op]++
			if r.Fault.Through {
				p.passed[op]++
			}
			return r.Fault, true, p.release
		}
	}
	p.passed[op]++
	return Fault{}, false, nil
}

func (p *Proxy) observe(resp *http.Response) error {
	pend, ok := resp.Request.Context().Value(ctxKey{}).(pending)
	if !ok {
		return nil
	}
	p.mu.Lock()
	fn := p.inspect
	p.mu.Unlock()
	if fn == nil {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	fn(Exchange{Operation: pend.op, Request: pend.request, Status: resp.StatusCode, Response: body})
	return nil
}

// Operation names the AWS operation of a request, as the service's API reference names it, for the
// services the local stack runs: DynamoDB (X-Amz-Target), SES v2 and S3 (path-style REST).
func Operation(r *http.Request) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return t[strings.LastIndex(t, ".")+1:]
	}
	if strings.HasPrefix(r.URL.Path, "/v2/email/") {
		if r.URL.Path == "/v2/email/outbound-emails" && r.Method == http.MethodPost {
			return "SendEmail"
		}
		return r.Method + " " + r.URL.Path
	}
	_, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	q := r.URL.Query()
	has := func(name string) bool { _, ok := q[name]; return ok }
	switch {
	case has("tagging"):
		return map[string]string{http.MethodGet: "GetObjectTagging", http.MethodPut: "PutObjectTagging", http.MethodDelete: "DeleteObjectTagging"}[r.Method]
	case key == "" && r.Method == http.MethodGet:
		return "ListObjects"
	case key == "" && r.Method == http.MethodPost && has("delete"):
		return "DeleteObjects"
	case key == "" && r.Method == http.MethodPost:
		return "PostObject"
	case r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "":
		return "CopyObject"
	case r.Method == http.MethodPut && has("uploadId"):
		return "UploadPart"
	case r.Method == http.MethodPut:
		return "PutObject"
	case r.Method == http.MethodPost && has("uploads"):
		return "CreateMultipartUpload"
	case r.Method == http.MethodPost && has("uploadId"):
		return "CompleteMultipartUpload"
	case r.Method == http.MethodGet:
		return "GetObject"
	case r.Method == http.MethodHead:
		return "HeadObject"
	case r.Method == http.MethodDelete:
		return "DeleteObject"
	}
	return r.Method
}
