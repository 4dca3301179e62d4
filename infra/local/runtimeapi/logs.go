package runtimeapi

import (
	"bufio"
	"fmt"
	"io"
	"sync"
)

// logMu serialises every line written by any pool, so lines of concurrent instances (and of pools
// sharing one writer) never interleave, whatever the writer.
var logMu sync.Mutex

func writeLine(w io.Writer, line string) {
	logMu.Lock()
	defer logMu.Unlock()
	_, _ = io.WriteString(w, line)
}

// copyLines writes each line read from r to w with the prefix, until r ends.
func copyLines(w io.Writer, prefix string, r io.Reader) {
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			if line[len(line)-1] != '\n' {
				line += "\n"
			}
			writeLine(w, prefix+line)
		}
		if err != nil {
			return
		}
	}
}

// logf writes one line of the pool's own (never a payload: events carry personal data).
func (p *Pool) logf(format string, args ...any) {
	writeLine(p.cfg.Log, p.prefix+"runtimeapi: "+fmt.Sprintf(format, args...)+"\n")
}
