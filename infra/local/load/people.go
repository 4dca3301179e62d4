package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/council/cfp/infra/local/services"
	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
)

// Target is the stack under load, and what it takes to arrange people on it.
type Target struct {
	API     string // the API's base URL
	Site    string // the site's base URL: the portal's pages at /
	Origin  string // the portal's origin, sent with every request as the portal in a browser does
	Mailbox services.Mailbox
	Store   *store.Store // the stack's table: grants, documents and invitations are seeded here
	// IPLimit is the stack's hourly limit on new requests from one source address when this
	// program set it (its own stack), so that the limit can be reached; 0 leaves that check out.
	IPLimit int
}

// transport is shared by every client, so connections are kept and reused as a browser does.
var transport = &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 30 * time.Second}

// client is one browser running the portal: its own cookies, the portal's Origin on every
// request, and a JSON content type on every request with a body.
type client struct {
	t    Target
	http *http.Client
}

func (t Target) browser() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t, &http.Client{Jar: jar, Transport: transport, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// sources numbers the loopback addresses ownSource hands out.
var sources atomic.Uint32

// ownSource gives c a loopback address of its own (127.3.x.y): people sign in from their own
// connections, so the sign-in's per-source limits (functions/signin) count per person, as they do
// in life, and only a scenario that floods from one source meets them.
func (c *client) ownSource() *client {
	n := sources.Add(1)
	ip := net.IPv4(127, 3, byte(n/250), byte(n%250+1))
	c.http.Transport = &http.Transport{MaxIdleConnsPerHost: 8, IdleConnTimeout: 30 * time.Second,
		DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 5 * time.Second}).DialContext}
	return c
}

// answer is a response as the load test looks at it.
type answer struct {
	Status int
	Header http.Header
	Body   []byte
}

func (c *client) do(ctx context.Context, method, path string, body any) (answer, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return answer{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.t.API+path, rd)
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Origin", c.t.Origin)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, out}, err
}

const (
	verifySubject = "Confirm your email address"
	codeSubject   = "Your sign-in code"
)

var (
	verifyLinkRE = regexp.MustCompile(`/verify\?token=([A-Za-z0-9_%-]+)`)
	codeRE       = regexp.MustCompile(`\bis ([0-9]{6})\b`)
)

// person is someone with an account and an active grant for one client, signed in.
type person struct {
	*client
	Email, ClientRef string
}

// signUp gives email an active grant for ref (seeded, as an approval leaves it) and an invitation
// (as the notifier stores one), then registers, confirms the address from the email and signs in
// with the code from the email, all through the API.
func signUp(ctx context.Context, t Target, email, ref string) (*person, error) {
	e := access.Email(email)
	if _, err := storetest.SeedGrant(ctx, t.Store, store.Grant{Email: e, Name: "Load Reader", ClientReference: ref, ClientName: "Cli Ent"}); err != nil {
		return nil, err
	}
	inv := secret.New()
	now := time.Now()
	if err := t.Store.PutToken(ctx, store.Token{Hash: inv.Hash(), Purpose: mail.Invitation, Subject: "r-load", Email: e, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		return nil, err
	}
	p := &person{t.browser().ownSource(), email, ref}
	if a, err := p.do(ctx, "POST", "/account/register", map[string]string{"invitation": inv.Reveal(), "name": "Load Reader"}); err != nil || a.Status != http.StatusAccepted {
		return nil, fmt.Errorf("register: %d %v", a.Status, err)
	}
	tok, err := mailed(ctx, t.Mailbox, email, verifySubject, 1, verifyLinkRE)
	if err != nil {
		return nil, err
	}
	if tok, err = url.QueryUnescape(tok); err != nil {
		return nil, err
	}
	if a, err := p.do(ctx, "POST", "/account/verify", map[string]string{"token": tok}); err != nil || a.Status != http.StatusNoContent {
		return nil, fmt.Errorf("confirm the address: %d %v", a.Status, err)
	}
	code, err := p.askCode(ctx, 1)
	if err != nil {
		return nil, err
	}
	if a, err := p.do(ctx, "POST", "/session/verify", map[string]string{"email": email, "code": code}); err != nil || a.Status != http.StatusNoContent {
		return nil, fmt.Errorf("sign in: %d %v", a.Status, err)
	}
	return p, nil
}

// askCode asks for a sign-in code and returns it from the nth code email to the person.
func (p *person) askCode(ctx context.Context, nth int) (string, error) {
	if a, err := p.do(ctx, "POST", "/session", map[string]string{"email": p.Email}); err != nil || a.Status != http.StatusAccepted {
		return "", fmt.Errorf("ask for a code: %d %v", a.Status, err)
	}
	return mailed(ctx, p.t.Mailbox, p.Email, codeSubject, nth, codeRE)
}

// mailsTo returns the emails to an address whose subject contains subject, oldest first.
func mailsTo(ctx context.Context, box services.Mailbox, to, subject string) ([]services.Mail, error) {
	all, err := box.Messages(ctx)
	if err != nil {
		return nil, err
	}
	var out []services.Mail
	for _, m := range all {
		for _, a := range m.To {
			if strings.EqualFold(a, to) && strings.Contains(m.Subject, subject) {
				out = append(out, m)
				break
			}
		}
	}
	return out, nil
}

// mailed waits (bounded: emails from the outbox go out on the schedule) for the nth email to an
// address about subject, and returns re's first group in its text.
func mailed(ctx context.Context, box services.Mailbox, to, subject string, nth int, re *regexp.Regexp) (string, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		ms, err := mailsTo(ctx, box, to, subject)
		if err != nil {
			return "", err
		}
		if len(ms) >= nth {
			m := re.FindStringSubmatch(ms[nth-1].Text)
			if m == nil {
				return "", fmt.Errorf("email %q has no %s", subject, re)
			}
			return m[1], nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return "", fmt.Errorf("no email %d about %q within 30s", nth, subject)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
