package services

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// clamdPath is Debian's clamd (package clamav-daemon).
const clamdPath = "/usr/sbin/clamd"

// systemDatabase is where Debian's freshclam keeps ClamAV's official database, when a machine has one.
const systemDatabase = "/var/lib/clamav"

// clamdStartLimit bounds the wait for clamd: about 0.1 s with the shipped signatures, but loading a
// full freshclam database takes a good minute on a small machine.
const clamdStartLimit = 3 * time.Minute

// databaseExts are the file types clamd loads from its database directory; anything else in the
// source folders (the config template, freshclam's state files) is left out.
var databaseExts = map[string]bool{
	".cvd": true, ".cld": true, ".cud": true,
	".hdb": true, ".hsb": true, ".hdu": true, ".hsu": true, ".mdb": true, ".msb": true, ".mdu": true, ".msu": true,
	".ndb": true, ".ndu": true, ".ldb": true, ".ldu": true, ".idb": true, ".cdb": true, ".cbc": true,
	".pdb": true, ".gdb": true, ".wdb": true, ".ftm": true, ".fp": true, ".sfp": true, ".ign": true, ".ign2": true,
	".crb": true, ".cat": true, ".yar": true, ".yara": true, ".pwdb": true,
}

// StartClamd runs clamd on 127.0.0.1:port (port 0: a free one) with a configuration written to
// workDir from infra/local/clamav/clamd.conf.tmpl. Its database directory, rebuilt in workDir at
// each start, holds the signatures shipped in infra/local/clamav and links to Debian's freshclam
// database files when /var/lib/clamav has some. It returns once clamd answers PING with PONG, or
// fails with clamd's own words on why it could not start.
func StartClamd(ctx context.Context, workDir string, port int, log io.Writer) (*Process, error) {
	root, err := Root()
	if err != nil {
		return nil, err
	}
	if err := needFile("clamd", clamdPath); err != nil {
		return nil, err
	}
	shipped := filepath.Join(root, "infra", "local", "clamav")
	tmpl, err := template.ParseFiles(filepath.Join(shipped, "clamd.conf.tmpl"))
	if err != nil {
		return nil, fmt.Errorf("services: clamd config template: %w", err)
	}
	if port, err = portOrFree(port); err != nil {
		return nil, err
	}
	workDir, err = filepath.Abs(workDir)
	if err != nil {
		return nil, err
	}
	dbDir := filepath.Join(workDir, "database")
	tmpDir := filepath.Join(workDir, "tmp")
	if err := os.RemoveAll(dbDir); err != nil {
		return nil, err
	}
	for _, d := range []string{dbDir, tmpDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("services: clamd work directory: %w", err)
		}
	}
	// The shipped files are copied (they are tiny); the system ones, up to hundreds of MB, are linked.
	if err := addDatabase(dbDir, shipped, copyFile); err != nil {
		return nil, err
	}
	if err := addDatabase(dbDir, systemDatabase, os.Symlink); err != nil && !os.IsNotExist(err) {
		return nil, err
	}

	conf := filepath.Join(workDir, "clamd.conf")
	f, err := os.Create(conf)
	if err != nil {
		return nil, err
	}
	err = tmpl.Execute(f, struct {
		Port                      int
		DatabaseDir, TemporaryDir string
	}{port, dbDir, tmpDir})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("services: write %s: %w", conf, err)
	}

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(clamdPath, "--config-file="+conf)
	cmd.Dir = workDir
	p, err := start("clamd", addr, "Listening daemon: PID", cmd, log)
	if err != nil {
		return nil, err
	}
	if err := p.waitReady(ctx, clamdStartLimit, func(ctx context.Context) error { return ping(ctx, addr) }); err != nil {
		_ = p.Close()
		return nil, err
	}
	return p, nil
}

// addDatabase puts every database file of src into dbDir with put (copy or link).
func addDatabase(dbDir, src string, put func(from, to string) error) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() || !databaseExts[filepath.Ext(e.Name())] {
			continue
		}
		if err := put(filepath.Join(src, e.Name()), filepath.Join(dbDir, e.Name())); err != nil {
			return fmt.Errorf("services: clamd database: %w", err)
		}
	}
	return nil
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}

// ping asks clamd whether it is up: "zPING\0" is answered "PONG\0".
func ping(ctx context.Context, addr string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	if _, err := conn.Write([]byte("zPING\x00")); err != nil {
		return err
	}
	reply, err := bufio.NewReader(conn).ReadString(0)
	if err != nil {
		return err
	}
	if strings.TrimSuffix(reply, "\x00") != "PONG" {
		return fmt.Errorf("%w: PING answered %q", errNotReady, reply)
	}
	return nil
}
