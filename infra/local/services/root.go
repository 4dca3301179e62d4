package services

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
)

// installHint ends every error about a missing tool, so that the fix is in the message.
const installHint = "run `bash infra/local/install.sh` (or `make deps`)"

// Root is the repository root (the directory holding go.mod), found from the working directory upward.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("services: no go.mod in the working directory or above it")
		}
		dir = parent
	}
}

// FreePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("services: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// portOrFree returns port, or a free one when port is 0.
func portOrFree(port int) (int, error) {
	if port != 0 {
		return port, nil
	}
	return FreePort()
}

// needFile fails with the install hint when a tool's file is missing.
func needFile(what, path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("services: %s not found at %s: %s", what, path, installHint)
	}
	return nil
}
