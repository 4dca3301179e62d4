package guardduty

import (
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// eicar is the EICAR anti-virus test file: harmless, detected by design.
const eicar = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`

// streamMax is the test clamd's StreamMaxLength.
const streamMax = 20 << 20

// startClamd runs clamd as a child process on a free loopback port with a
// one-signature database (an .ndb body signature for the EICAR string) and
// returns its address. It is stopped when the test ends.
func startClamd(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("clamd")
	if err != nil {
		bin = "/usr/sbin/clamd"
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "db")
	tmp := filepath.Join(dir, "tmp")
	for _, d := range []string{db, tmp} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	sig := "Local-EICAR-Test:0:*:" + hex.EncodeToString([]byte("$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!")) + "\n"
	if err := os.WriteFile(filepath.Join(db, "eicar.ndb"), []byte(sig), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	conf := filepath.Join(dir, "clamd.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`Foreground yes
TCPSocket %d
TCPAddr 127.0.0.1
DatabaseDirectory %s
TemporaryDirectory %s
StreamMaxLength %dM
LogSyslog no
LogFile %s
`, port, db, tmp, streamMax>>20, filepath.Join(dir, "clamd.log"))), 0o600); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(bin, "--config-file="+conf)
	out, err := os.Create(filepath.Join(dir, "clamd.out"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting clamd: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		out.Close()
	})

	addr := fmt.Sprintf("tcp:127.0.0.1:%d", port)
	deadline := time.Now().Add(60 * time.Second) // a safety net, not a performance check
	for {
		err := Ping(addr)
		if err == nil {
			return addr
		}
		select {
		case e := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "clamd.out"))
			t.Fatalf("clamd exited (%v):\n%s", e, log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("clamd never answered PING: %v", err)
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
