package services

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// awsConfig is what the local stack gives SDK clients: a region and static dummy credentials.
func awsConfig() aws.Config {
	return aws.Config{
		Region:      "eu-west-2",
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}
}

// testContext bounds a test's calls to the servers it started.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// testLog sends a server's output to the test log, which go test shows when the test fails.
type testLog struct{ t *testing.T }

func (l testLog) Write(b []byte) (int, error) {
	l.t.Helper()
	l.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// assertLoopbackOnly fails unless everything listening on p's port listens on 127.0.0.1 only.
func assertLoopbackOnly(t *testing.T, p *Process) {
	t.Helper()
	_, portText, _ := net.SplitHostPort(p.Addr)
	port, _ := strconv.Atoi(portText)
	addrs := listenAddrs(t, port)
	if len(addrs) == 0 {
		t.Fatalf("%s: nothing listens on port %d", p.Name, port)
	}
	for _, a := range addrs {
		if !a.IsLoopback() || a.To4() == nil {
			t.Errorf("%s listens on %s:%d; want 127.0.0.1 only", p.Name, a, port)
		}
	}
}

// listenAddrs reads the kernel's table of TCP sockets in LISTEN state on port (IPv4 and IPv6).
func listenAddrs(t *testing.T, port int) []net.IP {
	t.Helper()
	var ips []net.IP
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 4 || fields[3] != "0A" { // 0A: LISTEN
				continue
			}
			hexIP, hexPort, _ := strings.Cut(fields[1], ":")
			if p, _ := strconv.ParseUint(hexPort, 16, 16); int(p) != port {
				continue
			}
			ips = append(ips, kernelIP(hexIP))
		}
		f.Close()
	}
	return ips
}

// kernelIP decodes /proc/net/tcp's address: 32-bit words in host (little-endian) byte order.
func kernelIP(h string) net.IP {
	ip := make(net.IP, len(h)/2)
	for i := 0; i < len(ip); i += 4 {
		for j := 0; j < 4; j++ {
			b, _ := strconv.ParseUint(h[2*(i+j):2*(i+j)+2], 16, 8)
			ip[i+3-j] = byte(b)
		}
	}
	return ip
}

// assertStopped fails unless Close stopped p and everything in its process group.
func assertStopped(t *testing.T, p *Process) {
	t.Helper()
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	pgid := p.cmd.Process.Pid
	if err := syscall.Kill(-pgid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("%s: process group %d still has processes after Close (kill 0: %v)", p.Name, pgid, err)
	}
	if c, err := net.DialTimeout("tcp", p.Addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("%s: %s still accepts connections after Close", p.Name, p.Addr)
	}
}

func TestRootHoldsGoMod(t *testing.T) {
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(root + "/go.mod"); err != nil || !strings.Contains(string(b), "module github.com/council/cfp") {
		t.Fatalf("Root() = %s, whose go.mod is not this module's (%v)", root, err)
	}
}

func TestFreePortCanBeListenedOn(t *testing.T) {
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatalf("FreePort gave %d, which cannot be listened on: %v", port, err)
	}
	l.Close()
}

// Outside a checkout with the tools installed, each Start says how to install them.
func TestMissingToolsSayHowToInstall(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/go.mod", []byte("module example.com/empty\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	ctx := testContext(t)
	starts := map[string]func() (*Process, error){
		"dynamodb": func() (*Process, error) { return StartDynamoDB(ctx, "", 0, nil) },
		"ses":      func() (*Process, error) { return StartSES(ctx, 0, nil) },
	}
	for name, startIt := range starts {
		p, err := startIt()
		if err == nil {
			p.Close()
			t.Fatalf("%s started without its tools installed", name)
		}
		if !strings.Contains(err.Error(), "bash infra/local/install.sh") {
			t.Errorf("%s: error does not say how to install: %v", name, err)
		}
	}
}

func splitPort(t *testing.T, addr string) (string, int) {
	t.Helper()
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		t.Fatal(err)
	}
	return host, port
}
