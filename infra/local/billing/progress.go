package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress shows how far a phase has got: a bar redrawn in place on a terminal, otherwise a plain
// line at every tenth (logs and CI keep readable output).
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	label string
	total int
	done  int
	shown int // plain mode: the last tenth written
	start time.Time
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func newProgress(w io.Writer, label string, total int) *progress {
	p := &progress{w: w, tty: isTerminal(w), label: label, total: total, shown: -1, start: time.Now()}
	p.draw()
	return p
}

// set records how many are done.
func (p *progress) set(done int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = min(done, p.total)
	p.draw()
}

// add records n more done.
func (p *progress) add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = min(p.done+n, p.total)
	p.draw()
}

// finish ends the phase's output.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprintln(p.w)
	} else if p.shown < 10 {
		p.shown = 10
		p.line()
	}
}

func (p *progress) draw() {
	pct := 100
	if p.total > 0 {
		pct = p.done * 100 / p.total
	}
	if p.tty {
		const width = 30
		fill := pct * width / 100
		fmt.Fprintf(p.w, "\r%-28s [%s%s] %3d%% %d/%d %s", p.label, strings.Repeat("#", fill), strings.Repeat(".", width-fill), pct, p.done, p.total,
			time.Since(p.start).Round(time.Second))
		return
	}
	if tenth := pct / 10; tenth > p.shown {
		p.shown = tenth
		p.line()
	}
}

func (p *progress) line() {
	fmt.Fprintf(p.w, "%s: %d/%d (%d%%) after %s\n", p.label, p.done, p.total, p.done*100/max(p.total, 1), time.Since(p.start).Round(time.Second))
}
