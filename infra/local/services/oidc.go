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

// idpStartLimit bounds the wait for the local OpenID Provider (about a second here).
const idpStartLimit = 30 * time.Second

// StaffIdP is the local OpenID Provider's client registration: the one client, the portal.
type StaffIdP struct {
	ClientID, ClientSecret string
	RedirectURI            string // the portal's /staff/callback
}

// StartStaffIdP runs infra/local/node/staff-idp.mjs (the npm oidc-provider with sample staff) on
// 127.0.0.1:port (port 0: a free one). Its URL is the issuer. It returns once discovery answers.
func StartStaffIdP(ctx context.Context, port int, c StaffIdP, log io.Writer) (*Process, error) {
	root, err := Root()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(root, "infra", "local", "node")
	if err := needFile("oidc-provider", filepath.Join(dir, "node_modules", "oidc-provider", "package.json")); err != nil {
		return nil, err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("services: node not found (oidc-provider needs it): %s", installHint)
	}
	if port, err = portOrFree(port); err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(node, filepath.Join(dir, "staff-idp.mjs"))
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(),
		"STAFF_IDP_PORT="+strconv.Itoa(port), "STAFF_IDP_CLIENT_ID="+c.ClientID,
		"STAFF_IDP_CLIENT_SECRET="+c.ClientSecret, "STAFF_IDP_REDIRECT_URI="+c.RedirectURI)
	p, err := start("staff-idp", addr, "staff-idp: listening at", cmd, log)
	if err != nil {
		return nil, err
	}
	if err := p.waitReady(ctx, idpStartLimit, func(ctx context.Context) error { return getDiscovery(ctx, p.URL()) }); err != nil {
		_ = p.Close()
		return nil, err
	}
	return p, nil
}

func getDiscovery(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/.well-known/openid-configuration", nil)
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
		return fmt.Errorf("%w: discovery answered %s", errNotReady, resp.Status)
	}
	return nil
}
