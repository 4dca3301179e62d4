package runtimeapi

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Runtime API header and trailer names (2018-06-01).
const (
	hdrRequestID   = "Lambda-Runtime-Aws-Request-Id"
	hdrDeadline    = "Lambda-Runtime-Deadline-Ms"
	hdrFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
	hdrTraceID     = "Lambda-Runtime-Trace-Id"
	hdrErrorType   = "Lambda-Runtime-Function-Error-Type"
	hdrErrorBody   = "Lambda-Runtime-Function-Error-Body" // trailer only
)

// invocation is one event on its way through an instance. Exactly one result is kept: the first of
// the function's answer, the deadline and the process's exit.
type invocation struct {
	id       string
	payload  []byte
	deadline time.Time

	once sync.Once
	done chan struct{}
	body []byte
	err  error
}

func newInvocation(payload []byte) *invocation {
	return &invocation{id: newID(), payload: payload, done: make(chan struct{})}
}

// finish records the result unless one is already there, and says whether it did.
func (inv *invocation) finish(body []byte, err error) (first bool) {
	inv.once.Do(func() {
		inv.body, inv.err, first = body, err, true
		close(inv.done)
	})
	return first
}

func (inv *invocation) finished() bool {
	select {
	case <-inv.done:
		return true
	default:
		return false
	}
}

// instance is one function process (an execution environment) with its own Runtime API listener.
type instance struct {
	p    *Pool
	work chan *invocation // handed to the process's pending /next

	ready     chan struct{} // closed at the first /next: init is over
	readyOnce sync.Once
	startedAt time.Time
	readyAt   time.Time

	exited  chan struct{} // closed once the process has exited and its group is gone
	exitErr error         // set before exited is closed

	returning bool // answered, not yet back in /next; guarded by p.mu

	mu      sync.Mutex
	pid     int // process group id too; 0 until started
	killed  bool
	reaped  bool
	current *invocation    // the event last handed over
	initErr *FunctionError // what the runtime posted to /init/error
}

func newInstance(p *Pool) *instance {
	return &instance{p: p, work: make(chan *invocation), ready: make(chan struct{}), exited: make(chan struct{})}
}

// start launches the process with its Runtime API listener. On failure the instance is gone.
func (in *instance) start() error {
	p := in.p
	fail := func(typ string, err error) error {
		in.exitErr = err
		p.gone(in)
		close(in.exited)
		p.logf("cannot start the function: %v", err)
		return wrap(ErrCrashed, &FunctionError{Type: typ, Message: err.Error()})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail("Runtime.Unknown", err)
	}
	srv := &http.Server{Handler: in.routes(), ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = srv.Serve(ln) }()

	// A pipe of our own rather than exec's copying goroutines, so that Wait returns when the function
	// exits even if something it started still holds the pipe.
	pr, pw, err := os.Pipe()
	if err != nil {
		srv.Close()
		return fail("Runtime.Unknown", err)
	}
	bin, _ := filepath.Abs(p.cfg.Binary)
	cmd := exec.Command(bin)
	cmd.Dir = filepath.Dir(bin)
	cmd.Env = in.env(ln.Addr().String(), cmd.Dir)
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = sysProcAttr()

	in.mu.Lock()
	if in.killed { // the pool was closed before we got here
		in.mu.Unlock()
		pr.Close()
		pw.Close()
		srv.Close()
		return fail("Runtime.Unknown", ErrClosed)
	}
	in.startedAt = time.Now()
	err = cmd.Start()
	if err == nil {
		in.pid = cmd.Process.Pid
	}
	in.mu.Unlock()
	pw.Close()
	if err != nil {
		pr.Close()
		srv.Close()
		return fail("Runtime.InvalidEntrypoint", err)
	}

	logDone := make(chan struct{})
	go func() {
		copyLines(p.cfg.Log, p.prefix, pr)
		close(logDone)
	}()
	go in.wait(cmd, srv, pr, logDone)
	return nil
}

// wait reaps the process, then takes down what belonged to it.
func (in *instance) wait(cmd *exec.Cmd, srv *http.Server, pr *os.File, logDone chan struct{}) {
	err := cmd.Wait()
	in.mu.Lock()
	killGroup(in.pid) // whatever the function started goes with it, as with a discarded environment
	in.reaped = true
	in.mu.Unlock()
	waitGroupGone(in.pid)
	srv.Close()
	select {
	case <-logDone:
	case <-time.After(time.Second): // something escaped the group and holds the pipe
	}
	pr.Close()
	<-logDone
	in.exitErr = err
	in.p.gone(in)
	close(in.exited)
}

// kill stops the process group; wait does the rest.
func (in *instance) kill() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.killed = true
	if in.pid != 0 && !in.reaped {
		killGroup(in.pid)
	}
}

// deliver hands the event to the instance's pending /next and starts its deadline. It reports false
// if the process died first.
func (in *instance) deliver(inv *invocation, timeout time.Duration) bool {
	inv.deadline = time.Now().Add(timeout)
	select {
	case in.work <- inv:
	case <-in.exited:
		return false
	}
	go in.supervise(inv, timeout)
	return true
}

// supervise ends an invocation that the function does not end itself.
func (in *instance) supervise(inv *invocation, timeout time.Duration) {
	t := time.NewTimer(time.Until(inv.deadline))
	defer t.Stop()
	select {
	case <-inv.done:
	case <-t.C:
		in.kill()
		<-in.exited
		msg := fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", inv.id, timeout.Seconds())
		if inv.finish(nil, wrap(ErrTimeout, &FunctionError{Type: "Sandbox.Timedout", Message: msg})) {
			in.p.logf("%s", msg)
		}
	case <-in.exited:
		msg := "RequestId: " + inv.id + " Error: " + exitReason(in.exitErr)
		if inv.finish(nil, wrap(ErrCrashed, &FunctionError{Type: "Runtime.ExitError", Message: msg})) {
			in.p.logf("%s", msg)
		}
	}
}

// initFailure is the error of an instance that exited before its first /next.
func (in *instance) initFailure() error {
	in.mu.Lock()
	fe := in.initErr
	in.mu.Unlock()
	if fe == nil {
		fe = &FunctionError{Type: "Runtime.ExitError", Message: "Error: " + exitReason(in.exitErr)}
	}
	in.p.logf("init failed: %v", fe)
	return wrap(ErrCrashed, fe)
}

func exitReason(err error) string {
	if err == nil {
		return "Runtime exited without providing a reason"
	}
	return "Runtime exited with error: " + err.Error()
}

// env is what Lambda gives a provided.al2023 function, then the function's own configuration.
func (in *instance) env(addr, dir string) []string {
	c := in.p.cfg
	stream := time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + randomHex(16)
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"LANG=en_US.UTF-8",
		"TZ=:UTC",
		"LAMBDA_TASK_ROOT=" + dir,
		"AWS_LAMBDA_RUNTIME_API=" + addr,
		"AWS_LAMBDA_FUNCTION_NAME=" + c.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(c.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + c.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME=" + stream,
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"_HANDLER=bootstrap",
		"AWS_EXECUTION_ENV=AWS_Lambda_provided.al2023",
	}
	return append(env, c.Env...)
}

// functionARN is the ARN Lambda would pass, in the region the function is configured for.
func functionARN(cfg Config) string {
	region := "us-east-1"
	for _, kv := range cfg.Env {
		if v, ok := strings.CutPrefix(kv, "AWS_REGION="); ok && v != "" {
			region = v
		}
	}
	return "arn:aws:lambda:" + region + ":000000000000:function:" + cfg.Name
}

func (in *instance) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", in.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", in.response)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", in.invocationError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", in.initError)
	return mux
}

// next is the long poll: the runtime is ready for an event.
func (in *instance) next(w http.ResponseWriter, r *http.Request) {
	in.mu.Lock()
	switch {
	case in.initErr != nil:
		in.mu.Unlock()
		writeError(w, http.StatusForbidden, "InvalidStateTransition", "Init error already reported; the runtime must exit")
		return
	case in.current != nil && !in.current.finished():
		in.mu.Unlock()
		writeError(w, http.StatusForbidden, "InvalidStateTransition", "The current invocation has no response or error yet")
		return
	}
	in.current = nil
	in.mu.Unlock()

	first := false
	in.readyOnce.Do(func() {
		first = true
		in.readyAt = time.Now()
		close(in.ready) // the invocation that started this instance takes it
	})
	if !first {
		in.p.makeIdle(in)
	}

	select {
	case inv := <-in.work:
		in.mu.Lock()
		in.current = inv
		in.mu.Unlock()
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set(hdrRequestID, inv.id)
		h.Set(hdrDeadline, strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set(hdrFunctionARN, in.p.arn)
		h.Set(hdrTraceID, traceID())
		_, _ = w.Write(inv.payload)
	case <-r.Context().Done():
		// The runtime hung up on its long poll (or the process is gone): it can take no more events.
		in.kill()
	}
}

// open returns the invocation a /response or /error is about, or answers the runtime's mistake.
func (in *instance) open(w http.ResponseWriter, id string) *invocation {
	in.mu.Lock()
	inv := in.current
	in.mu.Unlock()
	if inv == nil || inv.id != id {
		writeError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return nil
	}
	if inv.finished() {
		writeError(w, http.StatusForbidden, "InvalidStateTransition", "The invocation already has a result")
		return nil
	}
	return inv
}

func (in *instance) response(w http.ResponseWriter, r *http.Request) {
	inv := in.open(w, r.PathValue("id"))
	if inv == nil {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Cannot read the response body")
		return
	}
	if len(body) > MaxPayload {
		msg := fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", MaxPayload)
		inv.finish(nil, &FunctionError{Type: "Function.ResponseSizeTooLarge", Message: msg})
		writeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", msg)
		return
	}
	// aws-lambda-go reports a response it failed to produce part-way through in trailers.
	if typ := r.Trailer.Get(hdrErrorType); typ != "" {
		b, _ := base64.StdEncoding.DecodeString(r.Trailer.Get(hdrErrorBody))
		inv.finish(nil, parseError(b, typ, typ))
	} else {
		inv.finish(body, nil)
	}
	in.p.answered(in)
	writeAccepted(w)
}

func (in *instance) invocationError(w http.ResponseWriter, r *http.Request) {
	inv := in.open(w, r.PathValue("id"))
	if inv == nil {
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, MaxPayload))
	inv.finish(nil, parseError(body, r.Header.Get(hdrErrorType), "Runtime.Unknown"))
	in.p.answered(in)
	writeAccepted(w)
}

// initError records the failure that the invocation waiting for this instance will get, then
// discards the instance: the runtime is expected to exit anyway.
func (in *instance) initError(w http.ResponseWriter, r *http.Request) {
	select {
	case <-in.ready:
		writeError(w, http.StatusForbidden, "InvalidStateTransition", "Init is already complete")
		return
	default:
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, MaxPayload))
	fe := parseError(body, r.Header.Get(hdrErrorType), "Runtime.Unknown")
	in.mu.Lock()
	in.initErr = fe
	in.mu.Unlock()
	writeAccepted(w)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	in.kill()
}

func writeAccepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	b, _ := json.Marshal(map[string]string{"errorMessage": msg, "errorType": typ})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// newID is a random UUID (version 4), the shape of Lambda's request ids.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// traceID is an X-Ray trace header, not sampled.
func traceID() string {
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(), randomHex(12), randomHex(8))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
