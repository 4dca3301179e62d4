//go:build unix && !linux

package runtimeapi

import "syscall"

// sysProcAttr puts the function in its own process group, killed as one.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// groupAlive reports whether any process of the group remains.
func groupAlive(pgid int) bool { return syscall.Kill(-pgid, 0) == nil }
