package services

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// sesStartLimit bounds the wait for aws-ses-v2-local (under a second here).
const sesStartLimit = 30 * time.Second

// StartSES runs aws-ses-v2-local (installed in infra/local/node) on 127.0.0.1:port (port 0: a free
// one). Its mailbox is in memory only: a restart empties it. It returns once GET /store answers.
func StartSES(ctx context.Context, port int, log io.Writer) (*Process, error) {
	root, err := Root()
	if err != nil {
		return nil, err
	}
	cli := filepath.Join(root, "infra", "local", "node", "node_modules", "aws-ses-v2-local", "dist", "cli.js")
	if err := needFile("aws-ses-v2-local", cli); err != nil {
		return nil, err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("services: node not found (aws-ses-v2-local needs it): %s", installHint)
	}
	if port, err = portOrFree(port); err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	// node runs the CLI itself (not npx), so the server is our direct child; --host because it
	// listens on every interface ("::") by default.
	cmd := exec.Command(node, cli, "--host", "127.0.0.1", "--port", strconv.Itoa(port))
	cmd.Dir = filepath.Dir(cli)

	p, err := start("ses", addr, "aws-ses-v2-local: server running at", cmd, log)
	if err != nil {
		return nil, err
	}
	if err := p.waitReady(ctx, sesStartLimit, func(ctx context.Context) error { return getStore(ctx, p.URL()) }); err != nil {
		_ = p.Close()
		return nil, err
	}
	return p, nil
}

func getStore(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/store", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: GET /store answered %s", errNotReady, resp.Status)
	}
	return nil
}
