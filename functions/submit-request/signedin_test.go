package main

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
)

// sessions knows one live session.
type sessions struct{ hash string }

func (s sessions) Session(_ context.Context, hash string) (store.Session, error) {
	if hash != s.hash {
		return store.Session{}, store.ErrNotFound
	}
	return store.Session{Hash: hash, Email: "signed.in@example.com", Name: "Sig Nedin"}, nil
}

const signedInBody = `{"relationship":"self","client":{"name":"Cli","dateOfBirth":"1941-03-04","postcode":"sw1a 1aa"},"evidence":[]}`

func TestASignedInRequesterIsTakenFromTheSession(t *testing.T) {
	m := newMemory()
	h := newHandler(m, false)
	tok := secret.New()
	h.Sessions = sessions{tok.Hash()}
	cookie := map[string]string{"Cookie": "__Host-session=" + tok.Reveal()}

	resp, _ := h.Handle(context.Background(), post("/api/access-requests", "", signedInBody, cookie))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
	var c created
	_ = json.Unmarshal([]byte(resp.Body), &c)
	if r := m.reqs[c.ID]; r.Requester != (access.Requester{Name: "Sig Nedin", Email: "signed.in@example.com"}) {
		t.Fatalf("requester %+v", r.Requester)
	}
	if len(m.mails) != 1 || m.mails[0].To != "signed.in@example.com" {
		t.Fatalf("mails %+v", m.mails)
	}

	// Signed in, the body may not name someone else as the requester.
	if resp, _ := h.Handle(context.Background(), post("/api/access-requests", "", body, cookie)); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("requester in a signed-in body: %d %s", resp.StatusCode, resp.Body)
	}
	// A session that has ended: 401 when the body relies on it, ignored when it gives the details.
	ended := map[string]string{"Cookie": "__Host-session=" + secret.New().Reveal()}
	if resp, _ := h.Handle(context.Background(), post("/api/access-requests", "", signedInBody, ended)); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("ended session: %d %s", resp.StatusCode, resp.Body)
	}
	if resp, _ := h.Handle(context.Background(), post("/api/access-requests", "", body, ended)); resp.StatusCode != http.StatusCreated {
		t.Fatalf("anonymous request with a stale cookie: %d %s", resp.StatusCode, resp.Body)
	}
	// Without a session the requester is required.
	if resp, _ := h.Handle(context.Background(), post("/api/access-requests", "", signedInBody, nil)); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("no session, no requester: %d", resp.StatusCode)
	}
}
