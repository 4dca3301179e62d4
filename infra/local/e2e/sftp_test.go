package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/stack"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/batch"
)

// The sending system's side of batches over SFTP: Debian's OpenSSH sftp in batch mode (-b), with
// the sample system's key, against the stack's `rclone serve sftp`, as a billing system's
// scheduled export would run it.

// sftpSession runs commands (one a line) in one sftp session from dir with key, checking the
// server's host key. It returns sftp's output and whether every command succeeded.
func sftpSession(t *testing.T, key, dir, commands string) (string, error) {
	t.Helper()
	hosts, err := stk.SFTP.KnownHosts()
	if err != nil {
		t.Fatal(err)
	}
	known := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(known, []byte(hosts), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sftp", "-b", "-", "-i", key, "-P", strconv.Itoa(stk.SFTP.Port()),
		"-o", "UserKnownHostsFile="+known, "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes",
		"-o", "BatchMode=yes", "-F", "/dev/null", stack.SampleSender+"@127.0.0.1")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(commands)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// sftpReport waits for a batch's report in the sender's reports/ folder, read over SFTP.
func sftpReport(t *testing.T, b batch.ID, limit time.Duration) map[string][]string {
	t.Helper()
	dir := t.TempDir()
	local := filepath.Join(dir, "report.csv")
	eventually(t, limit, "the report of "+b.String()+" over SFTP", func() bool {
		_, err := sftpSession(t, stk.SFTP.Key, dir, "get reports/"+b.Name+".csv report.csv\n")
		return err == nil
	})
	body, err := os.ReadFile(local)
	if err != nil {
		t.Fatal(err)
	}
	return batchRows(t, body)
}

func TestSFTPBatchInEitherOrderIsPublishedReportedAndSummarised(t *testing.T) {
	for _, order := range []string{"files before manifest", "manifest before files"} {
		t.Run(order, func(t *testing.T) {
			// A client of its own per order, so that each grantee's one notice is this batch's.
			ref := publishClient()
			grantees := []access.Email{publishGrant(t, ref), publishGrant(t, ref)}
			b := batch.ID{System: stack.SampleSender, Name: fmt.Sprintf("sftp-%d", time.Now().UnixNano())}
			objects, files := batchSample(ref)
			dir := t.TempDir()
			for name, body := range objects {
				if err := os.WriteFile(filepath.Join(dir, name), body, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			sent := append(files, batch.Manifest)
			if order == "manifest before files" {
				sent = append([]string{batch.Manifest}, files...)
			}
			commands := "mkdir " + b.Name + "\ncd " + b.Name + "\n"
			for _, name := range sent {
				commands += "put " + name + "\n"
			}
			if out, err := sftpSession(t, stk.SFTP.Key, dir, commands); err != nil {
				t.Fatalf("sftp upload: %v\n%s", err, out)
			}
			batchCheck(t, ref, b, sftpReport(t, b, 60*time.Second))
			for _, g := range grantees {
				if n := publishMails(t, g); n != 1 {
					t.Errorf("%d notices to a grantee, want 1", n)
				}
			}
		})
	}
}

func TestSFTPRefusesAKeyNotAuthorised(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "stranger_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	out, err := sftpSession(t, key, dir, "ls\n")
	if err == nil || !strings.Contains(out, "Permission denied") {
		t.Fatalf("a stranger's key: %v\n%s", err, out)
	}
	// The sample key still works, so the refusal was the key's, not the server's.
	if out, err := sftpSession(t, stk.SFTP.Key, dir, "ls\n"); err != nil {
		t.Fatalf("the sample key: %v\n%s", err, out)
	}
}

// The sender's root is its batches/<system>/ folder: no path reaches the rest of the bucket, not
// another system's folder, nor the per-object inbound/ route.
func TestSFTPCannotReachOutsideTheSendersFolder(t *testing.T) {
	secret := []byte(fmt.Sprintf("not for billing %d", time.Now().UnixNano()))
	batchPut(t, "sftp-outside.txt", secret)
	batchPut(t, batch.Prefix+"finance/reports/sftp-outside.csv", secret)
	own := fmt.Sprintf("sftp-own-%d.txt", time.Now().UnixNano()) // beside the batches: no batch's file
	batchPut(t, batch.Prefix+stack.SampleSender+"/"+own, secret)
	dir := t.TempDir()
	for _, path := range []string{"../sftp-outside.txt", "../../sftp-outside.txt", "/../../sftp-outside.txt",
		"../finance/reports/sftp-outside.csv", "/batches/finance/reports/sftp-outside.csv"} {
		out, err := sftpSession(t, stk.SFTP.Key, dir, "get "+path+" got\n")
		if got, _ := os.ReadFile(filepath.Join(dir, "got")); err == nil || bytes.Equal(got, secret) {
			t.Errorf("get %s: %v\n%s", path, err, out)
		}
	}
	// The server keeps a folder's listing a few seconds: the file written beside it shows once
	// that is over.
	var out string
	eventually(t, 15*time.Second, "the sender's own file in the listing above the root", func() bool {
		got, err := sftpSession(t, stk.SFTP.Key, dir, "cd ../..\nls -1\n")
		if err != nil {
			t.Fatalf("sftp: %v\n%s", err, got)
		}
		out = got
		return strings.Contains(out, own)
	})
	for _, outside := range []string{"sftp-outside.txt", "inbound", "finance", "batches"} {
		if strings.Contains(out, outside) {
			t.Errorf("the listing above the root shows %q:\n%s", outside, out)
		}
	}
}
