package runtimeapi

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"
)

// MaxPayload is Lambda's limit on a synchronous invocation's event and on a function's response.
const MaxPayload = 6 << 20

// InitTimeout bounds an instance's init (process start to its first /next), as Lambda's 10 s init
// phase does.
const InitTimeout = 10 * time.Second

// returnGrace is how long an invocation waits for an instance that has just answered to come back
// for its next event, rather than starting another one. aws-lambda-go asks at once, and Lambda reuses
// an environment for back-to-back invocations; without this, sequential calls would cold-start.
const returnGrace = 200 * time.Millisecond

// asyncAttempts is Lambda's default for asynchronous invocations: the first attempt and two retries.
const asyncAttempts = 3

// Config describes one function.
type Config struct {
	Name, Binary string        // function name; path to the executable (built with -tags lambda.norpc)
	Env          []string      // extra KEY=VALUE, given after (and so over) the Lambda variables
	Timeout      time.Duration // per invocation; 0 means Lambda's default of 3 s
	MemoryMB     int           // reported in AWS_LAMBDA_FUNCTION_MEMORY_SIZE; 0 means 128
	MaxInstances int           // Lambda's concurrency; 0 means 10
	Log          io.Writer     // function stdout/stderr, each line prefixed "[name] "; nil discards
	RetryDelay   time.Duration // before an async retry, doubled for the second; 0 means 1 s
	// OnFailure receives an asynchronous event that still failed after the retries, as Lambda's
	// on-failure destination does; nil: the failure is only logged, and the event is gone.
	OnFailure func(payload []byte, attempts int, err error)
}

// Stats is what a cold-start benchmark needs.
type Stats struct {
	ColdStarts    int             // instances started
	InitDurations []time.Duration // per successful cold start, in order: process start to its first /next
	Instances     int             // instances alive now
}

// Pool runs the instances of one function.
type Pool struct {
	cfg    Config
	prefix string
	arn    string

	mu      sync.Mutex
	all     map[*instance]struct{} // started and not yet exited
	idle    []*instance            // waiting in /next for an event
	back    int                    // instances that answered and have not yet asked for the next event
	changed chan struct{}          // closed (and replaced) when an instance becomes idle or goes away
	closing bool                   // no new async invocations
	closed  bool                   // no invocations at all
	stats   Stats

	async sync.WaitGroup
}

// NewPool returns a pool; no process starts before the first invocation.
func NewPool(cfg Config) *Pool {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Second
	}
	if cfg.MemoryMB <= 0 {
		cfg.MemoryMB = 128
	}
	if cfg.MaxInstances <= 0 {
		cfg.MaxInstances = 10
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = time.Second
	}
	return &Pool{
		cfg:     cfg,
		prefix:  "[" + cfg.Name + "] ",
		arn:     functionARN(cfg),
		all:     map[*instance]struct{}{},
		changed: make(chan struct{}),
	}
}

// Invoke runs one synchronous invocation on an idle instance, starting a new instance (cold start)
// when none is idle and fewer than MaxInstances run; otherwise it waits for one. It returns the
// function's response, or an error: *FunctionError for a function error, wrapping ErrTimeout or
// ErrCrashed when Lambda itself ended the invocation. If ctx ends once the event is handed over, Invoke
// returns at once but the invocation runs on to its end or deadline, as in Lambda.
func (p *Pool) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	if len(payload) > MaxPayload {
		return nil, ErrPayloadTooLarge
	}
	inv := newInvocation(payload)
	for {
		in, cold, err := p.acquire(ctx)
		if err != nil {
			return nil, err
		}
		if cold {
			if err := p.initialise(in); err != nil {
				return nil, err
			}
		}
		if err := ctx.Err(); err != nil {
			p.makeIdle(in)
			return nil, err
		}
		if !in.deliver(inv, p.cfg.Timeout) {
			continue // the instance died while idle; Lambda would use another environment
		}
		select {
		case <-inv.done:
			return inv.body, inv.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// InvokeAsync is Lambda's asynchronous invocation (S3 notifications, the schedule): it returns at
// once; on any error the event is tried again, twice, after RetryDelay and twice that. The final
// failure is logged and given to Config.OnFailure.
func (p *Pool) InvokeAsync(payload []byte) {
	payload = append([]byte(nil), payload...) // the caller may reuse its slice
	p.mu.Lock()
	if p.closing {
		p.mu.Unlock()
		p.logf("asynchronous invocation dropped: the pool is closed")
		return
	}
	p.async.Add(1)
	p.mu.Unlock()

	go func() {
		defer p.async.Done()
		delay := p.cfg.RetryDelay
		var err error
		attempt := 1
		for ; ; attempt++ {
			if _, err = p.Invoke(context.Background(), payload); err == nil {
				return
			}
			if attempt == asyncAttempts || errors.Is(err, ErrClosed) || errors.Is(err, ErrPayloadTooLarge) {
				break
			}
			time.Sleep(delay)
			delay *= 2
		}
		p.logf("asynchronous invocation failed after %d attempt(s): %v", attempt, err)
		if p.cfg.OnFailure != nil && !errors.Is(err, ErrClosed) {
			p.cfg.OnFailure(payload, attempt, err)
		}
	}()
}

// Close lets the asynchronous invocations already accepted finish (retries included), then kills
// every instance and waits until each process has exited. Synchronous invocations still running get
// ErrCrashed; later ones get ErrClosed.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closing = true
	p.mu.Unlock()
	p.async.Wait()

	p.mu.Lock()
	p.closed = true
	all := make([]*instance, 0, len(p.all))
	for in := range p.all {
		all = append(all, in)
	}
	p.broadcast()
	p.mu.Unlock()

	for _, in := range all {
		in.kill()
	}
	for _, in := range all {
		<-in.exited
	}
	return nil
}

// Stats returns a copy of the pool's counters.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.InitDurations = append([]time.Duration(nil), s.InitDurations...)
	s.Instances = len(p.all)
	return s
}

// acquire returns an idle instance, or a new one to start (cold) when there is room, or waits.
func (p *Pool) acquire(ctx context.Context) (in *instance, cold bool, err error) {
	grace := time.Now().Add(returnGrace)
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, false, ErrClosed
		}
		if n := len(p.idle); n > 0 {
			in = p.idle[n-1] // the most recently used: fewer instances stay warm, as in Lambda
			p.idle = p.idle[:n-1]
			p.mu.Unlock()
			return in, false, nil
		}
		returning := p.back > 0 && time.Now().Before(grace)
		if len(p.all) < p.cfg.MaxInstances && !returning {
			in = newInstance(p)
			p.all[in] = struct{}{}
			p.stats.ColdStarts++
			p.mu.Unlock()
			return in, true, nil
		}
		wait := p.changed
		p.mu.Unlock()
		var graceOver <-chan time.Time
		var t *time.Timer
		if returning {
			t = time.NewTimer(time.Until(grace))
			graceOver = t.C
		}
		select {
		case <-wait:
		case <-graceOver:
		case <-ctx.Done():
		}
		if t != nil {
			t.Stop()
		}
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
	}
}

// initialise starts a new instance and waits for its first /next.
func (p *Pool) initialise(in *instance) error {
	if err := in.start(); err != nil {
		return err
	}
	timer := time.NewTimer(InitTimeout)
	defer timer.Stop()
	select {
	case <-in.ready:
		d := in.readyAt.Sub(in.startedAt)
		p.mu.Lock()
		p.stats.InitDurations = append(p.stats.InitDurations, d)
		p.mu.Unlock()
		return nil
	case <-in.exited:
		return in.initFailure()
	case <-timer.C:
		in.kill()
		<-in.exited
		p.logf("init timed out after %v", InitTimeout)
		return wrap(ErrTimeout, &FunctionError{Type: "Sandbox.Timedout", Message: "Init timed out after " + InitTimeout.String()})
	}
}

// makeIdle offers an instance waiting in /next to the next invocation, unless it has gone.
func (p *Pool) makeIdle(in *instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.backDone(in)
	if _, alive := p.all[in]; alive {
		p.idle = append(p.idle, in)
		p.broadcast()
	}
}

// gone forgets an instance whose process has exited, making room for a new one.
func (p *Pool) gone(in *instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.backDone(in)
	delete(p.all, in)
	for i, x := range p.idle {
		if x == in {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			break
		}
	}
	p.broadcast()
}

// answered notes that an instance has answered and should soon ask for its next event.
func (p *Pool) answered(in *instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, alive := p.all[in]; alive && !in.returning {
		in.returning = true
		p.back++
	}
}

// backDone notes that an instance is back in /next, or gone; p.mu is held.
func (p *Pool) backDone(in *instance) {
	if in.returning {
		in.returning = false
		p.back--
	}
}

// broadcast wakes every waiting acquire; p.mu is held.
func (p *Pool) broadcast() {
	close(p.changed)
	p.changed = make(chan struct{})
}
