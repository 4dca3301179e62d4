package apigw

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

const (
	// MaxBody is API Gateway's payload limit.
	MaxBody = 10 << 20
	// IntegrationTimeout is API Gateway's default limit on a Lambda integration.
	IntegrationTimeout = 29 * time.Second
	// Stage is the stage name in every event.
	Stage = "local"
)

// BinaryMediaTypes are the request media types passed to functions base64-encoded. The AWS stack's
// REST API must declare the same binaryMediaTypes.
var BinaryMediaTypes = []string{"multipart/form-data", "application/octet-stream", "image/*", "application/pdf"}

// Invoker runs one synchronous invocation of a function (a runtimeapi.Pool does).
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// Route sends requests for Method (or "ANY") and Path, a template like "/access-requests/{id}/submit",
// to Fn.
type Route struct {
	Method, Path string
	Fn           Invoker
}

type gateway struct {
	resources []*resource
	logMu     sync.Mutex
	log       io.Writer
	cors      string // the one origin preflights are answered for ("" answers none)
	headers   string // the request headers preflights allow
}

// Option changes how the gateway behaves.
type Option func(*gateway)

// CORS answers CORS preflights (OPTIONS) for origin only, with credentials, as the AWS stack's
// REST API does with its default preflight options.
func CORS(origin string, headers ...string) Option {
	return func(g *gateway) { g.cors, g.headers = origin, strings.Join(headers, ",") }
}

// New returns the gateway for the routes, logging one line per request to log (nil discards). It
// panics on a malformed or conflicting route, which is a wiring mistake.
func New(routes []Route, log io.Writer, opts ...Option) http.Handler {
	if log == nil {
		log = io.Discard
	}
	g := &gateway{log: log}
	for _, o := range opts {
		o(g)
	}
	byPath := map[string]*resource{}
	shapes := map[string]string{}
	for _, rt := range routes {
		if rt.Fn == nil || rt.Method == "" {
			panic(fmt.Sprintf("apigw: route %s %s has no method or function", rt.Method, rt.Path))
		}
		res := byPath[rt.Path]
		if res == nil {
			segs, err := parseTemplate(rt.Path)
			if err != nil {
				panic("apigw: " + err.Error())
			}
			if other, dup := shapes[shape(segs)]; dup {
				panic(fmt.Sprintf("apigw: routes %q and %q cannot be told apart", other, rt.Path))
			}
			shapes[shape(segs)] = rt.Path
			res = &resource{path: rt.Path, segs: segs, methods: map[string]Invoker{}}
			byPath[rt.Path] = res
			g.resources = append(g.resources, res)
		}
		m := strings.ToUpper(rt.Method)
		if res.methods[m] != nil {
			panic(fmt.Sprintf("apigw: route %s %s given twice", m, rt.Path))
		}
		res.methods[m] = rt.Fn
	}
	for _, res := range g.resources {
		var allow []string
		for m := range res.methods {
			allow = append(allow, m)
		}
		sort.Strings(allow)
		res.allow = strings.Join(allow, ", ")
	}
	return g
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := newRequestID()
	w.Header()["x-amzn-RequestId"] = []string{id}
	route, status := g.serve(w, r, id, start)
	// Only the template: path values, the query, headers and body carry tokens and personal data.
	g.logMu.Lock()
	fmt.Fprintf(g.log, "apigw %s %s %d %s req=%s\n", r.Method, route, status, time.Since(start).Round(100*time.Microsecond), id)
	g.logMu.Unlock()
}

// serve answers the request and returns the route template and the status, for the log.
func (g *gateway) serve(w http.ResponseWriter, r *http.Request, id string, start time.Time) (string, int) {
	res, params := find(g.resources, r.URL.EscapedPath())
	if res == nil {
		return "-", message(w, http.StatusNotFound, "Not Found")
	}
	fn := res.methods[r.Method]
	if fn == nil {
		fn = res.methods["ANY"]
	}
	if fn == nil && r.Method == http.MethodOptions && g.cors != "" {
		return res.path, g.preflight(w, r, res)
	}
	if fn == nil {
		w.Header().Set("Allow", res.allow)
		return res.path, message(w, http.StatusMethodNotAllowed, "Method Not Allowed")
	}

	if r.ContentLength > MaxBody {
		return res.path, message(w, http.StatusRequestEntityTooLarge, "Request Too Long")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooLong *http.MaxBytesError
	switch {
	case errors.As(err, &tooLong):
		return res.path, message(w, http.StatusRequestEntityTooLarge, "Request Too Long")
	case err != nil:
		return res.path, message(w, http.StatusBadRequest, "Bad Request")
	}

	payload, err := json.Marshal(proxyRequest(r, res.path, params, body, id, start))
	if err != nil {
		return res.path, message(w, http.StatusInternalServerError, "Internal server error")
	}
	ctx, cancel := context.WithTimeout(r.Context(), IntegrationTimeout)
	defer cancel()
	out, err := fn.Invoke(ctx, payload)
	if err != nil {
		var t interface{ Timeout() bool }
		switch {
		case r.Context().Err() != nil:
			return res.path, 499 // the client went away; nobody to answer
		case errors.As(err, &t) && t.Timeout():
			return res.path, message(w, http.StatusGatewayTimeout, "Endpoint request timed out")
		default:
			return res.path, message(w, http.StatusBadGateway, "Internal server error")
		}
	}
	return res.path, writeProxyResponse(w, out)
}

// proxyRequest builds the event as API Gateway's REST proxy integration does.
func proxyRequest(r *http.Request, tpl string, params map[string]string, body []byte, id string, start time.Time) events.APIGatewayProxyRequest {
	sourceIP, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		sourceIP = r.RemoteAddr
	}
	proto, port := "http", "80"
	if r.TLS != nil {
		proto, port = "https", "443"
	}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, p, err := net.SplitHostPort(a.String()); err == nil {
			port = p
		}
	}

	headers := map[string]string{}
	multiHeaders := map[string][]string{}
	for k, vs := range r.Header {
		headers[k] = vs[len(vs)-1]
		multiHeaders[k] = slices.Clone(vs)
	}
	set := func(k, v string) {
		headers[k] = v
		multiHeaders[k] = []string{v}
	}
	set("Host", r.Host)
	// API Gateway appends the caller's address to any X-Forwarded-For it was sent; only
	// requestContext.identity.sourceIp is to be trusted.
	xff := sourceIP
	if prior := r.Header.Values("X-Forwarded-For"); len(prior) > 0 {
		xff = strings.Join(prior, ", ") + ", " + sourceIP
	}
	set("X-Forwarded-For", xff)
	set("X-Forwarded-Proto", proto)
	set("X-Forwarded-Port", port)

	var query map[string]string
	var multiQuery map[string][]string
	if q := r.URL.Query(); len(q) > 0 {
		query, multiQuery = map[string]string{}, map[string][]string{}
		for k, vs := range q {
			query[k] = vs[len(vs)-1]
			multiQuery[k] = vs
		}
	}
	if len(params) == 0 {
		params = nil
	}

	ev := events.APIGatewayProxyRequest{
		Resource:                        tpl,
		Path:                            r.URL.EscapedPath(),
		HTTPMethod:                      r.Method,
		Headers:                         headers,
		MultiValueHeaders:               multiHeaders,
		QueryStringParameters:           query,
		MultiValueQueryStringParameters: multiQuery,
		PathParameters:                  params,
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID:         "000000000000",
			APIID:             "local",
			Stage:             Stage,
			DomainName:        r.Host,
			RequestID:         id,
			ExtendedRequestID: id,
			Protocol:          r.Proto,
			Identity:          events.APIGatewayRequestIdentity{SourceIP: sourceIP, UserAgent: r.UserAgent()},
			ResourcePath:      tpl,
			Path:              r.URL.EscapedPath(),
			HTTPMethod:        r.Method,
			RequestTime:       start.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			RequestTimeEpoch:  start.UnixMilli(),
		},
	}
	if len(body) > 0 {
		if isBinary(r.Header.Get("Content-Type")) {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		} else {
			ev.Body = string(body)
		}
	}
	return ev
}

// isBinary says whether the media type is one of BinaryMediaTypes ("type/*" matches the type).
func isBinary(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt, _, _ = strings.Cut(strings.ToLower(contentType), ";")
		mt = strings.TrimSpace(mt)
	}
	for _, b := range BinaryMediaTypes {
		if prefix, ok := strings.CutSuffix(b, "*"); ok && strings.HasPrefix(mt, prefix) || mt == b {
			return true
		}
	}
	return false
}

// writeProxyResponse turns the function's answer into HTTP, or 502 when it is not a valid proxy
// response.
func writeProxyResponse(w http.ResponseWriter, out []byte) int {
	var resp events.APIGatewayProxyResponse
	if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode < 200 || resp.StatusCode > 599 {
		return message(w, http.StatusBadGateway, "Internal server error")
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			return message(w, http.StatusBadGateway, "Internal server error")
		}
	}
	// API Gateway merges the two maps; a pair given in both appears once.
	h := w.Header()
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for k, v := range resp.Headers {
		if !slices.Contains(h.Values(k), v) {
			h.Add(k, v)
		}
	}
	h.Del("Content-Length") // recomputed for the body actually sent
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
	return resp.StatusCode
}

// message writes API Gateway's own error answer.
func message(w http.ResponseWriter, status int, msg string) int {
	b, _ := json.Marshal(map[string]string{"message": msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return status
}

// newRequestID is a random UUID (version 4), the shape of API Gateway's request ids.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// preflight answers a CORS preflight: the allowed origin and the resource's methods, or no CORS
// headers at all for any other origin (the browser then refuses the real request).
func (g *gateway) preflight(w http.ResponseWriter, r *http.Request, res *resource) int {
	h := w.Header()
	if r.Header.Get("Origin") == g.cors {
		h.Set("Access-Control-Allow-Origin", g.cors)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Access-Control-Allow-Methods", res.allow)
		h.Set("Access-Control-Allow-Headers", g.headers)
		h.Set("Access-Control-Max-Age", "600")
	}
	h.Set("Vary", "Origin")
	w.WriteHeader(http.StatusNoContent)
	return http.StatusNoContent
}
