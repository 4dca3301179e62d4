//go:build unix

package runtimeapi

import (
	"syscall"
	"time"
)

// killGroup kills a whole process group: the function and anything it started, as Lambda discards
// the whole execution environment.
func killGroup(pgid int) { _ = syscall.Kill(-pgid, syscall.SIGKILL) }

// waitGroupGone waits, for two seconds at most, until no live process is left in the group: SIGKILL
// is delivered asynchronously, and Close promises that nothing is running once it returns.
func waitGroupGone(pgid int) {
	deadline := time.Now().Add(2 * time.Second)
	for groupAlive(pgid) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}
