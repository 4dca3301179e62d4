package page

import (
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/shared/web"
)

func TestForms(t *testing.T) {
	now := time.Unix(1_770_000_000, 0)
	f := Forms{Key: []byte("0123456789abcdef0123456789abcdef"), TTL: time.Hour, Now: func() time.Time { return now }}
	tok := f.Token("session-a")
	if !f.Valid("session-a", tok) {
		t.Fatal("a fresh token is not valid")
	}
	later := f
	later.Now = func() time.Time { return now.Add(time.Hour) }
	other := f
	other.Key = []byte("another key of thirty-two bytes!")
	exp, mac, _ := strings.Cut(tok, ".")
	for name, bad := range map[string]bool{
		"another browser's binding": f.Valid("session-b", tok),
		"no binding":                f.Valid("", f.Token("")),
		"expired":                   later.Valid("session-a", tok),
		"another key":               other.Valid("session-a", tok),
		"expiry moved":              f.Valid("session-a", "9"+exp+"."+mac),
		"empty":                     f.Valid("session-a", ""),
		"no dot":                    f.Valid("session-a", exp+mac),
		"no key":                    Forms{Now: f.Now}.Valid("session-a", tok),
	} {
		if bad {
			t.Errorf("%s: valid", name)
		}
	}
}

func TestErrorsKeepTheFirstPerField(t *testing.T) {
	var e Errors
	e.Add("name", "Enter your full name")
	e.Add("email", "Enter your email address")
	e.Add("name", "Name must be 100 characters or fewer")
	if len(e) != 2 || e.For("name") != "Enter your full name" || e.For("dob") != "" || !e.Any() {
		t.Errorf("got %v", e)
	}
}

func TestHeaders(t *testing.T) {
	h := Headers("abc", Policy{FormTargets: []string{"https://uploads.example"}})
	want := "default-src 'none'; script-src 'self' 'nonce-abc'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
		"form-action 'self' https://uploads.example; frame-ancestors 'none'; base-uri 'none'"
	if h["Content-Security-Policy"] != want {
		t.Errorf("policy %q", h["Content-Security-Policy"])
	}
	for k, v := range map[string]string{"Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
		"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"} {
		if h[k] != v {
			t.Errorf("%s: %q, want %q", k, h[k], v)
		}
	}
	if NewNonce() == NewNonce() || len(NewNonce()) != 24 {
		t.Error("nonces are not fresh 128-bit values")
	}
}

func TestStatic(t *testing.T) {
	css := Asset("portal.css")
	if !strings.HasPrefix(css, "/assets/portal.") || !strings.HasSuffix(css, ".css") || len(css) != len("/assets/portal..css")+12 {
		t.Errorf("Asset(portal.css) = %s", css)
	}
	r := Static(web.Request{HTTPMethod: http.MethodGet, Path: css})
	if r.StatusCode != 200 || r.Headers["Content-Type"] != "text/css; charset=utf-8" ||
		r.Headers["Cache-Control"] != "public, max-age=31536000, immutable" || r.IsBase64Encoded || len(r.Body) < 100_000 {
		t.Errorf("GET %s: %d %v %d bytes", css, r.StatusCode, r.Headers, len(r.Body))
	}
	if r := Static(web.Request{HTTPMethod: http.MethodHead, Path: css}); r.StatusCode != 200 || r.Body != "" {
		t.Errorf("HEAD: %d, %d bytes", r.StatusCode, len(r.Body))
	}
	js := Static(web.Request{HTTPMethod: http.MethodGet, Path: Asset("init.js")})
	if !strings.Contains(js.Body, `from "`+Asset("govuk-frontend.min.js")+`"`) || !strings.Contains(js.Headers["Content-Type"], "javascript") {
		t.Errorf("init.js: %v %s", js.Headers, js.Body)
	}
	for _, p := range []string{"/assets/portal.css", "/assets/portal.000000000000.css", "/assets/../doc.go", "/assets/../static/" + css[len("/assets/"):],
		"/portal.css", "/assets/", "/assets/.", "/assets/..", "/static" + css} {
		if r := Static(web.Request{HTTPMethod: http.MethodGet, Path: p}); r.StatusCode != 404 || r.Headers["Cache-Control"] != "no-store" {
			t.Errorf("GET %s: %d %v", p, r.StatusCode, r.Headers)
		}
	}
	if r := Static(web.Request{HTTPMethod: http.MethodPost, Path: css}); r.StatusCode != 405 {
		t.Errorf("POST: %d", r.StatusCode)
	}
}

// The committed *_templ.go files are what `go tool templ generate` makes of the *.templ files in the
// whole repository: generated code is never edited by hand, nor left behind a change to its source.
// It runs at the module's root because the generated code names its source by that path.
func TestTemplIsGenerated(t *testing.T) {
	cmd := exec.Command("go", "tool", "templ", "generate", "-check", "-keep-orphaned-files", "-log-level", "error")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("run `go tool templ generate` at the repository's root and commit what it changes (%v):\n%s", err, out)
	}
}
