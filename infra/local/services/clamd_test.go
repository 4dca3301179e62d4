package services

import (
	"bufio"
	"encoding/binary"
	"net"
	"strings"
	"testing"
	"time"
)

// eicar is the EICAR anti-virus test file, put together at run time so that this source file is not
// itself reported by a scanner on a developer's machine.
var eicar = `X5O!P%@AP[4\PZX54(P^)7CC)7}$` + "EICAR-STANDARD-ANTIVIRUS" + `-TEST-FILE!$H+H*`

// instream sends data to clamd with INSTREAM and returns its verdict ("stream: OK", "stream: X FOUND").
func instream(t *testing.T, addr string, data []byte) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Minute))
	w := bufio.NewWriter(conn)
	w.WriteString("zINSTREAM\x00")
	for len(data) > 0 { // chunks: 4-byte big-endian length, then the bytes; a zero length ends the stream
		n := min(len(data), 64<<10)
		binary.Write(w, binary.BigEndian, uint32(n))
		w.Write(data[:n])
		data = data[n:]
	}
	binary.Write(w, binary.BigEndian, uint32(0))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	reply, err := bufio.NewReader(conn).ReadString(0)
	if err != nil {
		t.Fatalf("INSTREAM reply: %v", err)
	}
	return strings.TrimSuffix(reply, "\x00")
}

// clamd started from the shipped signatures finds the EICAR test file, alone or inside another file,
// and passes a clean one.
func TestClamdFindsEICAR(t *testing.T) {
	ctx := testContext(t)
	p, err := StartClamd(ctx, t.TempDir(), 0, testLog{t})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	assertLoopbackOnly(t, p)
	if err := ping(ctx, p.Addr); err != nil {
		t.Fatalf("PING: %v", err)
	}

	pdf := "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
	cases := []struct {
		name, data string
		infected   bool
	}{
		{"the EICAR file", eicar, true},
		{"EICAR inside a PDF", pdf + strings.Repeat("x", 100<<10) + eicar + "\n%%EOF\n", true},
		{"a clean PDF", pdf + "%%EOF\n", false},
	}
	for _, c := range cases {
		got := instream(t, p.Addr, []byte(c.data))
		if c.infected && !strings.HasSuffix(got, " FOUND") || !c.infected && got != "stream: OK" {
			t.Errorf("%s: clamd says %q", c.name, got)
		}
	}
	assertStopped(t, p)
}

// A port already taken stops clamd, and StartClamd says why.
func TestClamdPortTakenSaysWhy(t *testing.T) {
	ctx := testContext(t)
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	_, port := splitPort(t, held.Addr().String())
	p, err := StartClamd(ctx, t.TempDir(), port, testLog{t})
	if err == nil {
		p.Close()
		t.Fatal("clamd started on a port already in use")
	}
	if !strings.Contains(err.Error(), "Address already in use") {
		t.Fatalf("the error does not say why clamd could not start: %v", err)
	}
}
