package services

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// rclonePath and sshKeygenPath are Debian's rclone and openssh-client.
const (
	rclonePath    = "/usr/bin/rclone"
	sshKeygenPath = "/usr/bin/ssh-keygen"
)

// sftpStartLimit bounds the wait for rclone serve sftp (well under a second here).
const sftpStartLimit = 30 * time.Second

// SFTP is one sending system's SFTP server: rclone serve sftp over the local S3, its root the
// system's batches/<system>/ folder of the documents bucket.
type SFTP struct {
	System   string // the sending system, e.g. "billing": the user name and the folder
	Bucket   string // the documents bucket
	S3URL    string // the local S3, path style
	Key      string // the sending system's private key (OpenSSH format, no passphrase)
	HostKey  string // the server's private key; HostKey+".pub" is its public half
	*Process        // the rclone process
}

// S3Credentials are what rclone signs its S3 requests with (the local stack's dummy ones).
type S3Credentials struct{ AccessKey, SecretKey, Region string }

// StartSFTP runs `rclone serve sftp` on 127.0.0.1:port (port 0: a free one) for one sending system.
// keyDir keeps the system's ed25519 key pair and the server's host key, made with ssh-keygen the
// first time and kept afterwards, so that a known_hosts entry and a configured client stay valid
// across restarts. Only the system's public key is authorised (no passwords), and the SFTP root is
// batches/<system>/ of bucket: the user sees its batches and reports/, and nothing above them,
// as an AWS Transfer Family user whose home directory is mapped there. It returns once the server
// says it listens.
func StartSFTP(ctx context.Context, keyDir, system, bucket, s3URL string, cred S3Credentials, port int, log io.Writer) (*SFTP, error) {
	if err := needFile("rclone", rclonePath); err != nil {
		return nil, err
	}
	if err := needFile("ssh-keygen (openssh-client)", sshKeygenPath); err != nil {
		return nil, err
	}
	if system == "" || strings.ContainsAny(system, "/\\.") {
		return nil, fmt.Errorf("services: sending system %q: want a plain folder name", system)
	}
	keyDir, err := filepath.Abs(keyDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(keyDir, 0o700); err != nil {
		return nil, err
	}
	s := &SFTP{System: system, Bucket: bucket, S3URL: s3URL,
		Key: SFTPKey(keyDir, system), HostKey: filepath.Join(keyDir, SFTPHostKey)}
	for _, k := range []struct{ path, comment string }{{s.Key, system + "@cfp-local"}, {s.HostKey, "cfp-local-sftp-host"}} {
		if err := keygen(ctx, k.path, k.comment); err != nil {
			return nil, err
		}
	}
	// The authorised keys file is written at every start from the current public key, so that it
	// never holds a key that is no longer the system's.
	pub, err := os.ReadFile(s.Key + ".pub")
	if err != nil {
		return nil, err
	}
	authorized := filepath.Join(keyDir, system+"_authorized_keys")
	if err := os.WriteFile(authorized, pub, 0o600); err != nil {
		return nil, err
	}
	if port, err = portOrFree(port); err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	// The S3 remote comes from the environment only (--config "" reads and writes no config
	// file): the local endpoint, path style, and no bucket check or creation, as the sender's
	// role in AWS may not list or create buckets either.
	cmd := exec.Command(rclonePath, "serve", "sftp", "cfp:"+bucket+"/batches/"+system,
		"--config", "", "--addr", addr, "--key", s.HostKey, "--authorized-keys", authorized,
		// Writes go to a local file first, then to S3 whole with their size known, as soon as
		// the client closes the file: a batch's events follow each upload, not a later flush.
		// With a write-back of 0s rclone uploads inside the close (the client's close is answered
		// once the object is in S3), not through its write-back queue, so --transfers (4) does
		// not cap uploads: sessions at once upload at once, one each.
		"--vfs-cache-mode", "writes", "--vfs-write-back", "0s", "--cache-dir", filepath.Join(keyDir, "cache"),
		// A folder's listing is kept 5 seconds. Each file opened needs its folder's listing, and a
		// listing of a batch folder is as long as the batch so far (a LIST a 1,000 files): kept
		// 0s, sending 900 files over 8 sessions took 68 s here; kept 200 ms, 12,000 files took
		// more than 10 minutes, as the listing, renewed for nearly every file, grew to 12 LISTs.
		// The price: a report the portal writes (not through rclone) is listed, and can be got,
		// up to 5 seconds after it is there. No -v: at its default level rclone logs no file
		// names (which a sender may make of client data).
		"--dir-cache-time", "5s", "--poll-interval", "0",
		// The PUT's answer (200 and an ETag that is the MD5 rclone computed) is the check; no
		// HEAD of every object just uploaded.
		"--s3-no-head")
	cmd.Env = append(withoutAWS(os.Environ()),
		"RCLONE_CONFIG_CFP_TYPE=s3", "RCLONE_CONFIG_CFP_PROVIDER=Other",
		"RCLONE_CONFIG_CFP_ENDPOINT="+s3URL, "RCLONE_CONFIG_CFP_FORCE_PATH_STYLE=true",
		"RCLONE_CONFIG_CFP_ACCESS_KEY_ID="+cred.AccessKey, "RCLONE_CONFIG_CFP_SECRET_ACCESS_KEY="+cred.SecretKey,
		"RCLONE_CONFIG_CFP_REGION="+cred.Region, "RCLONE_CONFIG_CFP_NO_CHECK_BUCKET=true")
	p, err := start("sftp", addr, "SFTP server listening on", cmd, log)
	if err != nil {
		return nil, err
	}
	// rclone writes its marker once it listens; a probe connection would only add a failed login
	// to its log.
	if err := p.waitReady(ctx, sftpStartLimit, func(context.Context) error { return nil }); err != nil {
		_ = p.Close()
		return nil, err
	}
	s.Process = p
	return s, nil
}

// Port is the port the server listens on.
func (s *SFTP) Port() int {
	_, p, _ := net.SplitHostPort(s.Addr)
	n, _ := strconv.Atoi(p)
	return n
}

// Command is the sftp command line a person types to reach the server.
func (s *SFTP) Command() string {
	return fmt.Sprintf("sftp -i %s -P %d %s@127.0.0.1", s.Key, s.Port(), s.System)
}

// KnownHosts is the server's known_hosts line, for clients that check the host key (they should).
func (s *SFTP) KnownHosts() (string, error) { return KnownHostsLine(s.HostKey+".pub", s.Addr) }

// KnownHostsLine is the known_hosts line of an SFTP server listening at addr (host:port) whose
// public host key is in the file hostKeyPub.
func KnownHostsLine(hostKeyPub, addr string) (string, error) {
	pub, err := os.ReadFile(hostKeyPub)
	if err != nil {
		return "", err
	}
	fields := strings.Fields(string(pub))
	if len(fields) < 2 {
		return "", fmt.Errorf("services: host key %s: not a public key", hostKeyPub)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("[%s]:%s %s %s\n", host, port, fields[0], fields[1]), nil
}

// withoutAWS drops the AWS_ and RCLONE_ variables of this process's environment: rclone's S3
// backend would take a CA bundle, profile or endpoint meant for something else (AWS_CA_BUNDLE even
// stops it starting), and the remote is to be exactly the one given here.
func withoutAWS(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "RCLONE_") {
			out = append(out, kv)
		}
	}
	return out
}

// SFTPHostKey is the server's private key file in the key directory (".pub": its public half).
const SFTPHostKey = "host_ed25519"

// SFTPKey is the sending system's private key file in the key directory.
func SFTPKey(keyDir, system string) string { return filepath.Join(keyDir, system+"_ed25519") }

// keygen makes an ed25519 key pair at path (and path.pub) unless one is there.
func keygen(ctx context.Context, path, comment string) error {
	if _, err := os.Stat(path); err == nil {
		if _, err := os.Stat(path + ".pub"); err == nil {
			return nil
		}
	}
	_ = os.Remove(path)
	_ = os.Remove(path + ".pub")
	out, err := exec.CommandContext(ctx, sshKeygenPath, "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("services: ssh-keygen %s: %v: %s", path, err, out)
	}
	return nil
}
