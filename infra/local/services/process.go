package services

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is a server started by this package: a child process in its own process group.
type Process struct {
	Name string // short name used in errors: "dynamodb", "ses", "clamd"
	Addr string // host:port it listens on, always 127.0.0.1

	cmd     *exec.Cmd
	out     *tail
	done    chan struct{} // closed once the process has exited and been reaped
	waitErr error         // set before done is closed

	closeOnce sync.Once
	closeErr  error
}

// URL is the server's base URL.
func (p *Process) URL() string { return "http://" + p.Addr }

// Done is closed when the process has exited, whether Close stopped it or it died by itself.
func (p *Process) Done() <-chan struct{} { return p.done }

// stopGrace is how long a server gets to exit after SIGTERM before its group is killed.
const stopGrace = 10 * time.Second

// Close stops the process group (SIGTERM, then SIGKILL after a grace period) and waits for the
// process to exit. It is idempotent. It reports an error only when the process had already exited
// by itself before Close, which means the server died under its user.
func (p *Process) Close() error {
	p.closeOnce.Do(func() {
		select {
		case <-p.done:
			p.closeErr = fmt.Errorf("services: %s had exited before Close: %v\n%s", p.Name, p.waitErr, p.out)
			return // its pid may belong to another process by now: signal nothing
		default:
		}
		pgid := p.cmd.Process.Pid // Setpgid makes the child the leader of a group with its own pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(stopGrace):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.done
		}
		// The leader is gone; anything it started in its group goes with it.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	})
	return p.closeErr
}

// start runs cmd as a child in its own process group, its output copied to log and kept (the end of
// it) for error messages. marker is a part of the line the server writes once it listens.
func start(name, addr, marker string, cmd *exec.Cmd, log io.Writer) (*Process, error) {
	if log == nil {
		log = io.Discard
	}
	p := &Process{Name: name, Addr: addr, cmd: cmd, out: &tail{marker: marker}, done: make(chan struct{})}
	// One writer for both streams, so the kept output is in the order the server wrote it.
	w := io.MultiWriter(log, p.out)
	cmd.Stdout, cmd.Stderr = w, w
	// Setpgid: Close stops the whole group. Pdeathsig: the server dies with us if we die without
	// Close (strictly, with the OS thread that started it, which Go keeps as long as the process
	// lives unless the starting goroutine had locked it).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = time.Second // don't hang on an output pipe a stray grandchild keeps open
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("services: start %s: %w", name, err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// pollInterval is how often a starting server is asked whether it is ready.
const pollInterval = 50 * time.Millisecond

// waitReady waits until the process has written its marker line (its own word that it is listening, so
// an answer from another server that already held the port is not taken for ours) and ready succeeds,
// or the process exits, ctx ends or limit passes. On failure it returns an error with the end of the
// process's output; the caller closes the process.
func (p *Process) waitReady(ctx context.Context, limit time.Duration, ready func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	last := errors.New("it has not said it is listening yet")
	for {
		if p.out.sawMarker() {
			probe, cancelProbe := context.WithTimeout(ctx, 2*time.Second)
			last = ready(probe)
			cancelProbe()
			if last == nil {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("services: %s exited before it answered (%v); its output:\n%s", p.Name, p.waitErr, p.out)
		case <-ctx.Done():
			return fmt.Errorf("services: %s did not answer on %s (%w; last try: %v); its output:\n%s",
				p.Name, p.Addr, ctx.Err(), last, p.out)
		case <-tick.C:
		}
	}
}

// tail keeps the last tailSize bytes written to it, and whether a line has contained its marker.
type tail struct {
	marker string
	mu     sync.Mutex
	buf    []byte
	part   []byte // the line being written, until the marker is seen
	seen   bool
}

const tailSize = 8 << 10

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if over := len(t.buf) - tailSize; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	for rest := b; !t.seen && len(rest) > 0; {
		line, more, complete := bytes.Cut(rest, []byte("\n"))
		t.part = append(t.part, line...)
		if !complete {
			break
		}
		t.seen = strings.Contains(string(t.part), t.marker)
		t.part, rest = t.part[:0], more
	}
	return len(b), nil
}

// sawMarker reports whether a complete line of the output has contained the marker.
func (t *tail) sawMarker() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seen
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// errNotReady is what a readiness check returns for an answer that is not yet the expected one.
var errNotReady = errors.New("not ready")
