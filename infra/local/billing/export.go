package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/council/cfp/infra/local/services"
	"github.com/council/cfp/shared/batch"
)

// System is the sending system the sample export is from: the local stack's SFTP user.
const System = "billing"

// Export writes the plan as a billing system's export does, into dir: one PDF per document and
// manifest.csv with a row for each (a document's faults become the row's). It returns the file
// names, the manifest last.
func (p Plan) Export(dir string) ([]string, error) {
	var manifest bytes.Buffer
	w := csv.NewWriter(&manifest)
	_ = w.Write(batch.Columns)
	var files []string
	for _, d := range p.Docs {
		name := path.Base(d.Key)
		if err := os.WriteFile(filepath.Join(dir, name), d.Body, 0o600); err != nil {
			return nil, err
		}
		files = append(files, name)
		_ = w.Write([]string{name, d.Meta["client-reference"], d.Meta["document-type"], d.Meta["document-date"], d.Meta["title"], "publish"})
	}
	w.Flush()
	if err := os.WriteFile(filepath.Join(dir, batch.Manifest), manifest.Bytes(), 0o600); err != nil {
		return nil, err
	}
	return append(files, batch.Manifest), nil
}

// Sender hands a batch's files (in dir) to the portal, in the order given.
type Sender interface {
	Send(ctx context.Context, b batch.ID, dir string, files []string) error
}

// SFTPSender sends with OpenSSH's sftp in batch mode, as a billing system's scheduled job would,
// over several sessions at once (as such a job, or `rclone copy --transfers 8`, does): one session
// puts files one after another, each waiting for the server's answer to its close, which is the
// upload to S3 behind it, so one session's rate is one upload's round trip.
type SFTPSender struct {
	Addr       string // host:port
	Key        string // the private key
	KnownHosts string // a known_hosts file naming the server's key
	Sessions   int    // sftp sessions putting files at once (0 or less: DefaultSFTPSessions)
}

// DefaultSFTPSessions is how many sftp sessions an SFTPSender puts files over at once: enough to
// keep the local stack's two cores busy while each session waits for its upload (rclone serve
// sftp uploads a file to S3 inside its close, so the sessions' uploads run side by side).
const DefaultSFTPSessions = 8

// Send makes the batch folder in a session of its own, spreads the files over the sessions (the
// i-th file to session i mod n, so that they arrive about in the export's order, a client's
// documents close together), and puts the manifest, the last file, once every file session has
// finished: the portal reads a manifest as the batch complete. A failed session stops the others
// and the manifest is not sent, so the batch is not reported as if it were whole.
func (s SFTPSender) Send(ctx context.Context, b batch.ID, dir string, files []string) error {
	if len(files) == 0 {
		return errors.New("sftp: no files to send")
	}
	if err := s.session(ctx, b, dir, "mkdir "+b.Name+"\n"); err != nil {
		return err
	}
	last := len(files) - 1 // the manifest
	n := s.Sessions
	if n <= 0 {
		n = DefaultSFTPSessions
	}
	n = min(n, last)
	scripts := make([]strings.Builder, n)
	for i := range scripts {
		fmt.Fprintf(&scripts[i], "cd %s\n", b.Name)
	}
	for i, f := range files[:last] {
		fmt.Fprintf(&scripts[i%n], "put %s\n", f)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range scripts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = s.session(ctx, b, dir, scripts[i].String()); errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	if err := firstError(errs); err != nil {
		return fmt.Errorf("%w (%s not sent)", err, files[last])
	}
	return s.session(ctx, b, dir, fmt.Sprintf("cd %s\nput %s\n", b.Name, files[last]))
}

// session runs one sftp session in dir with the batch commands given.
func (s SFTPSender) session(ctx context.Context, b batch.ID, dir, commands string) error {
	host, port, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return fmt.Errorf("SFTP address: %w", err)
	}
	cmd := exec.CommandContext(ctx, "sftp", "-b", "-", "-q", "-i", s.Key, "-P", port, "-F", "/dev/null",
		"-o", "UserKnownHostsFile="+s.KnownHosts, "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes",
		"-o", "BatchMode=yes", b.System+"@"+host)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(commands)
	if out, err := cmd.CombinedOutput(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // stopped because another session failed
		}
		return fmt.Errorf("sftp: %v: %s", err, lastLines(out, 5))
	}
	return nil
}

// firstError is the first of errs that is not nil, preferring a session's own failure to the
// cancellation it caused in the others.
func firstError(errs []error) error {
	var first error
	for _, err := range errs {
		switch {
		case err == nil:
		case !errors.Is(err, context.Canceled):
			return err
		case first == nil:
			first = err
		}
	}
	return first
}

// NewSFTPSender sends as the local stack's sample sending system: its key, and its server's host
// key from keyDir.
func NewSFTPSender(addr, keyDir string) (SFTPSender, error) {
	line, err := services.KnownHostsLine(filepath.Join(keyDir, services.SFTPHostKey+".pub"), addr)
	if err != nil {
		return SFTPSender{}, fmt.Errorf("the local stack's SFTP host key (is it running? make run): %w", err)
	}
	known := filepath.Join(os.TempDir(), "cfp-billing-known_hosts")
	if err := os.WriteFile(known, []byte(line), 0o600); err != nil {
		return SFTPSender{}, err
	}
	return SFTPSender{Addr: addr, Key: services.SFTPKey(keyDir, System), KnownHosts: known}, nil
}

// defaultKeyDir is where make run keeps the SFTP keys: its data directory's sftp/.
func defaultKeyDir() string {
	if d := os.Getenv("CFP_DATA_DIR"); d != "" {
		return filepath.Join(d, "sftp")
	}
	root, err := services.Root()
	if err != nil {
		return filepath.Join(".local", "data", "sftp")
	}
	return filepath.Join(root, ".local", "data", "sftp")
}

// S3Sender writes the files straight to S3, as the AWS CLI or rclone would with the sender's role.
type S3Sender struct{ Target }

func (s S3Sender) Send(ctx context.Context, b batch.ID, dir string, files []string) error {
	last := len(files) - 1 // the manifest, once every file is there, as an export job writes it
	put := func(name string) error {
		body, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		key := b.Key(name)
		_, err = s.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.Bucket, Key: &key, Body: bytes.NewReader(body)})
		return err
	}
	if err := s.each(ctx, last, func(i int) error { return put(files[i]) }); err != nil {
		return err
	}
	return put(files[last])
}

// RunBatch exports the plan as one batch, sends it, waits for its report in the sender's reports
// folder and every notice, and counts what happened from the report and the mailbox.
func (tg Target) RunBatch(ctx context.Context, p Plan, send Sender) (Result, error) {
	r := Result{Expected: p.Expected(), Started: time.Now()}
	dir, err := os.MkdirTemp("", "billing-export-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(dir)
	files, err := p.Export(dir)
	if err != nil {
		return r, fmt.Errorf("exporting: %w", err)
	}
	b := batch.ID{System: System, Name: "run-" + p.Run}
	fmt.Fprintf(tg.Out, "sending %d files and %s as batch %s\n", len(files)-1, batch.Manifest, b)
	if err := send.Send(ctx, b, dir, files); err != nil {
		return r, fmt.Errorf("sending the batch: %w", err)
	}
	r.Uploaded = len(files) - 1
	r.Uploading = time.Since(r.Started)

	var report []byte
	err = tg.poll(ctx, time.Second, func() (bool, error) {
		key := b.ReportKey()
		out, err := tg.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: &tg.Bucket, Key: &key})
		if err != nil {
			return false, nil // not there yet
		}
		defer out.Body.Close()
		var buf bytes.Buffer
		_, err = buf.ReadFrom(out.Body)
		report = buf.Bytes()
		return err == nil, err
	})
	r.Processing = time.Since(r.Started) - r.Uploading
	if err != nil {
		return r, fmt.Errorf("waiting for the report %s: %w", b.ReportKey(), err)
	}
	if r.Published, r.Rejected, err = outcomes(report); err != nil {
		return r, err
	}
	fmt.Fprintf(tg.Out, "report: batches/%s/reports/%s.csv\n", b.System, b.Name)
	err = tg.awaitNotices(ctx, p, &r)
	r.Mailing = time.Since(r.Started) - r.Uploading - r.Processing
	if err != nil {
		return r, err
	}
	r.InTable, err = tg.published(ctx, p, b)
	return r, err
}

// outcomes counts a report's published rows and its refused ones.
func outcomes(report []byte) (published, refused int, err error) {
	rows, err := csv.NewReader(bytes.NewReader(report)).ReadAll()
	if err != nil || len(rows) == 0 {
		return 0, 0, fmt.Errorf("the report is not CSV: %v", err)
	}
	col := -1
	for i, c := range rows[0] {
		if c == "outcome" {
			col = i
		}
	}
	if col < 0 {
		return 0, 0, errors.New("the report has no outcome column")
	}
	for _, r := range rows[1:] {
		switch r[col] {
		case "published":
			published++
		case "refused":
			refused++
		}
	}
	return published, refused, nil
}

func lastLines(out []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
