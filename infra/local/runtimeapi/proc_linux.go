package runtimeapi

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// sysProcAttr puts the function in its own process group (killed as one) and asks the kernel to kill
// it should this process die without closing the pool (a killed `make run`). The kernel ties that
// signal to the thread that started the child; Go does not end its threads unless a goroutine locked
// to one exits, which nothing here does.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// groupAlive reports whether a process of the group is still running. Zombies do not count: an
// orphan killed with its group may wait for an init that never reaps it.
func groupAlive(pgid int) bool {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return syscall.Kill(-pgid, 0) == nil
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses.
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 2 && fields[0] != "Z" && fields[2] == strconv.Itoa(pgid) {
			return true
		}
	}
	return false
}
