package guardduty

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// chunkSize is the INSTREAM chunk size (clamd reads chunks of any size up to
// StreamMaxLength; 64 KiB keeps memory small).
const chunkSize = 64 << 10

// dial connects to "tcp:host:port" or "unix:/path".
func dial(ctx context.Context, addr string) (net.Conn, error) {
	network, address, ok := strings.Cut(addr, ":")
	if !ok || (network != "tcp" && network != "unix") || address == "" {
		return nil, fmt.Errorf("clamd address %q: want tcp:host:port or unix:/path", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, address)
}

// Ping checks that clamd answers at addr ("tcp:127.0.0.1:3310" or
// "unix:/path"): a start-up check for the local stack.
func Ping(addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	reply, err := command(ctx, addr, "PING", nil)
	if err != nil {
		return err
	}
	if reply != "PONG" {
		return fmt.Errorf("clamd at %s answered %q to PING", addr, reply)
	}
	return nil
}

// result is clamd's answer to INSTREAM.
type result struct {
	threat string // signature name; empty when clean
}

// instream sends everything r yields to clamd and returns its verdict. Any
// failure (connection, reading r, clamd error such as the size limit) is an
// error: only a complete stream answered "OK" is clean.
func instream(ctx context.Context, addr string, r io.Reader) (result, error) {
	reply, err := command(ctx, addr, "INSTREAM", r)
	if err != nil {
		return result{}, err
	}
	body, ok := strings.CutPrefix(reply, "stream: ")
	switch {
	case ok && body == "OK":
		return result{}, nil
	case ok && strings.HasSuffix(body, " FOUND"):
		return result{threat: strings.TrimSuffix(body, " FOUND")}, nil
	default:
		return result{}, fmt.Errorf("clamd: %s", reply)
	}
}

// command sends one z-command, streams data (if any) as INSTREAM chunks, and
// reads the NUL-terminated reply.
func command(ctx context.Context, addr, name string, data io.Reader) (string, error) {
	conn, err := dial(ctx, addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()

	w := bufio.NewWriterSize(conn, chunkSize+4)
	w.WriteString("z" + name + "\x00")
	var werr error
	if data != nil {
		werr = sendChunks(w, data)
		var re readError
		if errors.As(werr, &re) {
			// Never send the terminator after a failed read: clamd would
			// scan the part it got and might call it clean.
			return "", werr
		}
	}
	if werr == nil {
		werr = w.Flush()
	}
	reply, rerr := readReply(conn)
	if rerr != nil {
		if werr != nil {
			return "", fmt.Errorf("clamd: sending: %w", werr)
		}
		return "", fmt.Errorf("clamd: reading reply: %w", rerr)
	}
	if werr != nil {
		// clamd answered (e.g. "INSTREAM size limit exceeded. ERROR") and
		// closed before taking all data: never a verdict on the whole object.
		return "", fmt.Errorf("clamd: %s (sending: %v)", reply, werr)
	}
	return reply, nil
}

type readError struct{ err error }

func (e readError) Error() string { return "reading object: " + e.err.Error() }
func (e readError) Unwrap() error { return e.err }

func sendChunks(w *bufio.Writer, data io.Reader) error {
	buf := make([]byte, 4+chunkSize)
	for {
		n, err := io.ReadFull(data, buf[4:])
		if n > 0 {
			binary.BigEndian.PutUint32(buf[:4], uint32(n))
			if _, werr := w.Write(buf[:4+n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return readError{err}
		}
	}
	_, err := w.Write([]byte{0, 0, 0, 0})
	return err
}

func readReply(conn net.Conn) (string, error) {
	reply, err := bufio.NewReader(io.LimitReader(conn, 4096)).ReadString(0)
	if err != nil && (err != io.EOF || reply == "") {
		return "", err
	}
	return strings.TrimRight(reply, "\x00\n"), nil
}
