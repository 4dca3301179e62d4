package runtimeapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fnBinary is testdata/fn, built once for the host as the stack builds functions.
var fnBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "runtimeapi-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fnBinary = filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", fnBinary, "./testdata/fn")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	code := 1
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the test function:", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// logBuffer is a Log writer the test can read while instances write.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newPool(t *testing.T, cfg Config) (*Pool, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	if cfg.Name == "" {
		cfg.Name = "testfn"
	}
	cfg.Binary = fnBinary
	cfg.Log = logs
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	p := NewPool(cfg)
	t.Cleanup(func() { p.Close() })
	return p, logs
}

type reply struct {
	Message    string            `json:"message"`
	PID        int               `json:"pid"`
	Child      int               `json:"child"`
	Env        map[string]string `json:"env"`
	RequestID  string            `json:"requestId"`
	ARN        string            `json:"arn"`
	DeadlineMs int64             `json:"deadlineMs"`
}

func invoke(p *Pool, ev map[string]any) (reply, error) {
	payload, _ := json.Marshal(ev)
	out, err := p.Invoke(context.Background(), payload)
	var r reply
	if err == nil {
		if jerr := json.Unmarshal(out, &r); jerr != nil {
			return r, fmt.Errorf("bad response %q: %v", out, jerr)
		}
	}
	return r, err
}

func mustInvoke(t *testing.T, p *Pool, ev map[string]any) reply {
	t.Helper()
	r, err := invoke(p, ev)
	if err != nil {
		t.Fatalf("invoke %v: %v", ev, err)
	}
	return r
}

func functionError(t *testing.T, err error) *FunctionError {
	t.Helper()
	var fe *FunctionError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) carries no *FunctionError", err, err)
	}
	return fe
}

// alive reports whether a process exists and is not a zombie waiting for a parent to reap it.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func TestInvokeReturnsTheResponseAndLogsOutput(t *testing.T) {
	p, logs := newPool(t, Config{})
	r := mustInvoke(t, p, map[string]any{"action": "echo", "message": "hello"})
	if r.Message != "hello" {
		t.Errorf("message = %q, want hello", r.Message)
	}
	p.Close()
	if !strings.Contains(logs.String(), "[testfn] echo: hello\n") {
		t.Errorf("function output not in the log with its prefix:\n%s", logs)
	}
}

func TestFunctionSeesLambdaEnvironmentAndContext(t *testing.T) {
	p, _ := newPool(t, Config{MemoryMB: 256, Timeout: 7 * time.Second, Env: []string{"EXTRA=yes", "AWS_REGION=eu-west-2"}})
	t.Setenv("HOME", "/home/somebody") // must not reach the function
	start := time.Now()
	r := mustInvoke(t, p, map[string]any{"action": "context"})
	end := time.Now()

	want := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        "testfn",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"_HANDLER":                        "bootstrap",
		"AWS_EXECUTION_ENV":               "AWS_Lambda_provided.al2023",
		"EXTRA":                           "yes",
		"HOME":                            "",
	}
	for k, v := range want {
		if r.Env[k] != v {
			t.Errorf("%s = %q, want %q", k, r.Env[k], v)
		}
	}
	if !strings.HasPrefix(r.Env["AWS_LAMBDA_RUNTIME_API"], "127.0.0.1:") {
		t.Errorf("AWS_LAMBDA_RUNTIME_API = %q, want a loopback address", r.Env["AWS_LAMBDA_RUNTIME_API"])
	}
	if r.Env["AWS_LAMBDA_LOG_STREAM_NAME"] == "" {
		t.Error("AWS_LAMBDA_LOG_STREAM_NAME is empty")
	}
	if len(r.RequestID) != 36 {
		t.Errorf("request id %q is not a UUID", r.RequestID)
	}
	if r.ARN != "arn:aws:lambda:eu-west-2:000000000000:function:testfn" {
		t.Errorf("ARN = %q", r.ARN)
	}
	// The deadline is set when the event is handed over, which happens between start and end.
	lo, hi := start.Add(7*time.Second).UnixMilli()-1, end.Add(7*time.Second).UnixMilli()
	if r.DeadlineMs < lo || r.DeadlineMs > hi {
		t.Errorf("deadline %d not within [%d, %d]", r.DeadlineMs, lo, hi)
	}
}

func TestFunctionErrorKeepsTheInstance(t *testing.T) {
	p, _ := newPool(t, Config{})
	first := mustInvoke(t, p, map[string]any{"action": "echo"})
	_, err := invoke(p, map[string]any{"action": "error", "message": "bad input"})
	fe := functionError(t, err)
	if fe.Type != "errorString" || fe.Message != "bad input" {
		t.Errorf("error = %+v, want errorString/bad input", fe)
	}
	if errors.Is(err, ErrCrashed) || errors.Is(err, ErrTimeout) {
		t.Errorf("a function error is neither a crash nor a timeout: %v", err)
	}
	again := mustInvoke(t, p, map[string]any{"action": "echo"})
	if again.PID != first.PID {
		t.Errorf("the instance was replaced after a handled error (pid %d, then %d)", first.PID, again.PID)
	}
	if s := p.Stats(); s.ColdStarts != 1 || len(s.InitDurations) != 1 || s.Instances != 1 {
		t.Errorf("stats = %+v, want one cold start and one instance", s)
	}
}

func TestPanicReplacesTheInstance(t *testing.T) {
	p, _ := newPool(t, Config{})
	first := mustInvoke(t, p, map[string]any{"action": "echo"})
	_, err := invoke(p, map[string]any{"action": "panic", "message": "boom"})
	if fe := functionError(t, err); fe.Message != "boom" {
		t.Errorf("panic error = %+v", fe)
	}
	// aws-lambda-go exits after reporting a panic; the next event must go to a fresh instance.
	again := mustInvoke(t, p, map[string]any{"action": "echo"})
	if again.PID == first.PID {
		t.Error("the panicked instance was given another event")
	}
}

func TestTimeoutKillsTheInstanceAndTheNextInvocationRecovers(t *testing.T) {
	p, _ := newPool(t, Config{Timeout: time.Second})
	first := mustInvoke(t, p, map[string]any{"action": "echo"})

	_, err := invoke(p, map[string]any{"action": "sleep", "millis": 60_000})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	var to interface{ Timeout() bool }
	if !errors.As(err, &to) || !to.Timeout() {
		t.Error("a timeout error does not say Timeout() true")
	}
	if fe := functionError(t, err); fe.Type != "Sandbox.Timedout" || !strings.Contains(fe.Message, "Task timed out after 1.00 seconds") {
		t.Errorf("timeout error = %+v", fe)
	}
	if alive(first.PID) {
		t.Errorf("timed-out process %d still running", first.PID)
	}

	again := mustInvoke(t, p, map[string]any{"action": "echo"})
	if again.PID == first.PID {
		t.Error("the timed-out instance was reused")
	}
	if s := p.Stats(); s.ColdStarts != 2 {
		t.Errorf("cold starts = %d, want 2", s.ColdStarts)
	}
}

func TestCrashMidInvocationAndRecovery(t *testing.T) {
	p, _ := newPool(t, Config{})
	first := mustInvoke(t, p, map[string]any{"action": "echo"})
	_, err := invoke(p, map[string]any{"action": "exit"})
	if !errors.Is(err, ErrCrashed) {
		t.Fatalf("err = %v, want ErrCrashed", err)
	}
	if fe := functionError(t, err); fe.Type != "Runtime.ExitError" || !strings.Contains(fe.Message, "exit status 3") {
		t.Errorf("crash error = %+v", fe)
	}
	if alive(first.PID) {
		t.Errorf("crashed process %d still there", first.PID)
	}
	again := mustInvoke(t, p, map[string]any{"action": "echo", "message": "back"})
	if again.Message != "back" || again.PID == first.PID {
		t.Errorf("after a crash got %+v, want a fresh instance", again)
	}
}

func TestInitFailures(t *testing.T) {
	cases := []struct {
		init, typ, msg string
	}{
		{"exit", "Runtime.ExitError", "exit status 2"},
		{"post", "Runtime.ConfigError", "cannot load configuration"},
	}
	for _, c := range cases {
		t.Run(c.init, func(t *testing.T) {
			p, _ := newPool(t, Config{Env: []string{"TEST_INIT=" + c.init}})
			_, err := invoke(p, map[string]any{"action": "echo"})
			if !errors.Is(err, ErrCrashed) {
				t.Fatalf("err = %v, want ErrCrashed", err)
			}
			if fe := functionError(t, err); fe.Type != c.typ || !strings.Contains(fe.Message, c.msg) {
				t.Errorf("init error = %+v, want %s containing %q", fe, c.typ, c.msg)
			}
			if s := p.Stats(); s.ColdStarts != 1 || len(s.InitDurations) != 0 || s.Instances != 0 {
				t.Errorf("stats = %+v, want one failed cold start and nothing running", s)
			}
		})
	}
}

func TestMissingBinaryIsAnInvocationError(t *testing.T) {
	p := NewPool(Config{Name: "nothing", Binary: filepath.Join(t.TempDir(), "bootstrap")})
	defer p.Close()
	_, err := p.Invoke(context.Background(), []byte(`{}`))
	if fe := functionError(t, err); fe.Type != "Runtime.InvalidEntrypoint" {
		t.Errorf("error = %+v, want Runtime.InvalidEntrypoint", fe)
	}
}

// barrier answers its n callers only once all n have arrived: invocations that reach it have run
// at the same time.
func barrier(t *testing.T, n int) string {
	var mu sync.Mutex
	count := 0
	all := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if count++; count == n {
			close(all)
		}
		mu.Unlock()
		select {
		case <-all:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestParallelInvocationsRunOnSeveralInstances(t *testing.T) {
	const n = 3
	// Each invocation waits for the others: a pool that ran them one at a time would time out.
	p, _ := newPool(t, Config{MaxInstances: n, Timeout: 20 * time.Second})
	url := barrier(t, n)
	pids := make(chan int, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			r, err := invoke(p, map[string]any{"action": "barrier", "url": url})
			errs <- err
			pids <- r.PID
		})
	}
	wg.Wait()
	close(errs)
	close(pids)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	distinct := map[int]bool{}
	for pid := range pids {
		distinct[pid] = true
	}
	if len(distinct) != n {
		t.Errorf("%d parallel invocations ran on %d instances", n, len(distinct))
	}
	if s := p.Stats(); s.ColdStarts != n || len(s.InitDurations) != n {
		t.Errorf("stats = %+v, want %d cold starts with init durations", s, n)
	}
}

func TestMaxInstancesMakesInvocationsWait(t *testing.T) {
	p, _ := newPool(t, Config{MaxInstances: 1})
	pids := make(chan int, 4)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			r, err := invoke(p, map[string]any{"action": "echo", "message": fmt.Sprint(i)})
			if err != nil {
				t.Error(err)
			}
			pids <- r.PID
		})
	}
	wg.Wait()
	close(pids)
	distinct := map[int]bool{}
	for pid := range pids {
		distinct[pid] = true
	}
	if len(distinct) != 1 || p.Stats().ColdStarts != 1 {
		t.Errorf("with MaxInstances 1: %d instances, stats %+v", len(distinct), p.Stats())
	}
}

func TestAsyncInvocationIsRetriedTwiceOnError(t *testing.T) {
	type kept struct {
		payload  string
		attempts int
	}
	var mu sync.Mutex
	var failures []kept
	p, logs := newPool(t, Config{RetryDelay: 10 * time.Millisecond, OnFailure: func(payload []byte, attempts int, err error) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, kept{string(payload), attempts})
	}})
	failing := filepath.Join(t.TempDir(), "failing")
	working := filepath.Join(t.TempDir(), "working")
	ev, _ := json.Marshal(map[string]any{"action": "record", "file": failing, "message": "downstream unavailable"})
	p.InvokeAsync(ev)
	ev, _ = json.Marshal(map[string]any{"action": "record", "file": working})
	p.InvokeAsync(ev)
	p.Close() // waits for both, retries included

	count := func(path string) int {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Count(string(b), "attempt")
	}
	if n := count(failing); n != 3 {
		t.Errorf("failing event ran %d times, want 3 (one attempt and two retries)", n)
	}
	if n := count(working); n != 1 {
		t.Errorf("successful event ran %d times, want 1", n)
	}
	if !strings.Contains(logs.String(), "asynchronous invocation failed after 3 attempt(s)") {
		t.Errorf("final failure not logged:\n%s", logs)
	}
	// The failing event is handed on, whole, as to an on-failure destination; the working one is not.
	if len(failures) != 1 || failures[0].attempts != 3 || !strings.Contains(failures[0].payload, "downstream unavailable") {
		t.Errorf("kept after the retries: %+v, want the failing event once, after 3 attempts", failures)
	}
}

func TestCloseLeavesNoProcessBehind(t *testing.T) {
	p, _ := newPool(t, Config{MaxInstances: 2})
	url := barrier(t, 2)
	var wg sync.WaitGroup
	pids := make(chan int, 2)
	for range 2 {
		wg.Go(func() {
			r, err := invoke(p, map[string]any{"action": "barrier", "url": url})
			if err != nil {
				t.Error(err)
			}
			pids <- r.PID
		})
	}
	wg.Wait()
	spawned := mustInvoke(t, p, map[string]any{"action": "spawn"})
	close(pids)
	procs := []int{spawned.Child}
	for pid := range pids {
		procs = append(procs, pid)
	}
	for _, pid := range procs {
		if !alive(pid) {
			t.Fatalf("process %d not running before Close", pid)
		}
	}

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range procs {
		if alive(pid) {
			t.Errorf("process %d still running after Close", pid)
		}
	}
	if s := p.Stats(); s.Instances != 0 {
		t.Errorf("instances after Close = %d", s.Instances)
	}
	if _, err := p.Invoke(context.Background(), []byte(`{}`)); !errors.Is(err, ErrClosed) {
		t.Errorf("invoke after Close: %v, want ErrClosed", err)
	}
}

func TestPayloadLimits(t *testing.T) {
	p, _ := newPool(t, Config{})
	if _, err := p.Invoke(context.Background(), make([]byte, MaxPayload+1)); !errors.Is(err, ErrPayloadTooLarge) {
		t.Errorf("oversized event: %v, want ErrPayloadTooLarge", err)
	}
	_, err := invoke(p, map[string]any{"action": "big", "size": MaxPayload + 1})
	if fe := functionError(t, err); fe.Type != "Function.ResponseSizeTooLarge" {
		t.Errorf("oversized response: %+v", fe)
	}
	if r := mustInvoke(t, p, map[string]any{"action": "echo", "message": "ok"}); r.Message != "ok" {
		t.Errorf("after an oversized response: %+v", r)
	}
}

func TestCallerGivingUpDoesNotLoseTheInstance(t *testing.T) {
	p, _ := newPool(t, Config{MaxInstances: 1})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Invoke(ctx, []byte(`{"action":"echo"}`)); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	// The instance started for the abandoned call must serve the next one (MaxInstances is 1).
	if r := mustInvoke(t, p, map[string]any{"action": "echo", "message": "next"}); r.Message != "next" {
		t.Errorf("got %+v", r)
	}
}
