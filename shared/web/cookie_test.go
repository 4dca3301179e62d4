package web

import (
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/shared/secret"
)

func TestSessionCookieAttributes(t *testing.T) {
	tok := secret.New()
	c := SetSessionCookie(tok, 12*time.Hour, false)
	for _, want := range []string{"__Host-session=" + tok.Reveal(), "; Path=/", "; HttpOnly", "; SameSite=Strict", "; Secure", "; Max-Age=43200"} {
		if !strings.Contains(c, want) {
			t.Errorf("%q lacks %q", c, want)
		}
	}
	if strings.Contains(c, "Domain") {
		t.Errorf("a __Host- cookie may not name a domain: %q", c)
	}
	local := SetSessionCookie(tok, time.Hour, true)
	if !strings.HasPrefix(local, "session=") || strings.Contains(local, "Secure") || !strings.Contains(local, "HttpOnly") {
		t.Errorf("insecure cookie %q", local)
	}
	if clear := ClearSessionCookie(false); !strings.HasPrefix(clear, "__Host-session=;") || !strings.Contains(clear, "Max-Age=0") || !strings.Contains(clear, "Secure") {
		t.Errorf("clearing cookie %q", clear)
	}
}

func TestSessionTokenFromTheCookieHeader(t *testing.T) {
	for name, c := range map[string]struct {
		r        Request
		insecure bool
		want     string
	}{
		"single header":          {Request{Headers: map[string]string{"Cookie": "a=1; __Host-session=tok; b=2"}}, false, "tok"},
		"lower-case header":      {Request{Headers: map[string]string{"cookie": "__Host-session=tok"}}, false, "tok"},
		"split over headers":     {Request{MultiValueHeaders: map[string][]string{"cookie": {"a=1", "__Host-session=tok"}}}, false, "tok"},
		"a malformed pair":       {Request{Headers: map[string]string{"Cookie": "bad pair; __Host-session=tok"}}, false, "tok"},
		"insecure name":          {Request{Headers: map[string]string{"Cookie": "session=tok"}}, true, "tok"},
		"insecure name unread":   {Request{Headers: map[string]string{"Cookie": "session=tok"}}, false, ""},
		"secure name unread":     {Request{Headers: map[string]string{"Cookie": "__Host-session=tok"}}, true, ""},
		"empty value":            {Request{Headers: map[string]string{"Cookie": "__Host-session="}}, false, ""},
		"no cookie":              {Request{}, false, ""},
		"name as a value prefix": {Request{Headers: map[string]string{"Cookie": "x__Host-session=tok"}}, false, ""},
	} {
		if got := SessionToken(c.r, c.insecure); got.Reveal() != c.want {
			t.Errorf("%s: %q, want %q", name, got.Reveal(), c.want)
		}
	}
}

func TestAllowPortalNamesOnlyThePortal(t *testing.T) {
	r := AllowPortal(JSON(200, map[string]string{}), "https://portal.example")
	if r.Headers["Access-Control-Allow-Origin"] != "https://portal.example" || r.Headers["Access-Control-Allow-Credentials"] != "true" ||
		r.Headers["Vary"] != "Origin" || r.Headers["Cache-Control"] != "no-store" {
		t.Fatalf("headers %v", r.Headers)
	}
	if r := AllowPortal(Response{StatusCode: 204}, "https://portal.example"); r.Headers["Access-Control-Allow-Origin"] == "" {
		t.Fatal("no headers on an answer without any")
	}
}
