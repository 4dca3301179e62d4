package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/council/cfp/shared/secret"
)

// FuzzDecodeJSON: any body gets either a decoded value or a problem with a 4xx status; nothing panics.
func FuzzDecodeJSON(f *testing.F) {
	f.Add(`{"a":1}`, false)
	f.Add(`{"a":1}{"a":2}`, false)
	f.Add(`{"unknown":true}`, false)
	f.Add(`eyJhIjoxfQ==`, true)
	f.Add(`[`, false)
	f.Fuzz(func(t *testing.T, body string, b64 bool) {
		var v struct {
			A int `json:"a"`
		}
		p := DecodeJSON(events.APIGatewayProxyRequest{Body: body, IsBase64Encoded: b64}, &v)
		if p != nil && (p.Status < 400 || p.Status >= 500 || p.Title == "") {
			t.Fatalf("problem %+v", p)
		}
		if p != nil && p.Status == http.StatusRequestEntityTooLarge && len(body) <= MaxBody {
			t.Fatalf("413 for a small body")
		}
	})
}

// FuzzBearer: a token is taken only from a well-formed Bearer header.
func FuzzBearer(f *testing.F) {
	f.Add("Bearer abc")
	f.Add("bearer  abc ")
	f.Add("Basic abc")
	f.Add("Bearer")
	f.Fuzz(func(t *testing.T, h string) {
		tok := Bearer(events.APIGatewayProxyRequest{Headers: map[string]string{"authorization": h}})
		if tok != "" && !(len(h) > 7 && strings.EqualFold(h[:7], "bearer ") && tok == strings.TrimSpace(h[7:])) {
			t.Fatalf("token %q from %q", tok, h)
		}
	})
}

// FuzzSessionToken: any Cookie header yields at most a value it carries under the session cookie's
// name, so a "session" cookie (which a sibling host can set) is never read as "__Host-session";
// a well-formed session cookie among others is found.
func FuzzSessionToken(f *testing.F) {
	f.Add("__Host-session=abc", false)
	f.Add("session=abc; __Host-session=", false)
	f.Add("a=b; session=abc", true)
	f.Add(`__Host-session="abc"; x`, false)
	f.Add("__host-session=abc;;;=;", false)
	f.Add("__Host-session=a b; __Host-session=c", false)
	f.Add("__Host-session =ab;\x1a__Host-sessin=oc", false)
	f.Add(strings.Repeat(";", 2998), false)
	tok := secret.New()
	f.Fuzz(func(t *testing.T, h string, insecure bool) {
		name := SessionCookieName(insecure)
		got := SessionToken(Request{Headers: map[string]string{"cookie": h}}, insecure)
		// (Go's parser trims blanks around a name: "__Host-session =v" is that cookie.)
		if !got.Empty() && (!strings.Contains(h, name) || !strings.Contains(h, got.Reveal())) {
			t.Fatalf("%q from %q", got.Reveal(), h)
		}
		// Our own cookie after whatever else the browser sends is found, unless an earlier pair
		// already carries a value under the same name, or the header holds more than the 3,000
		// cookies net/http reads at all (its limit against denial of service: signed out, safe).
		got = SessionToken(Request{MultiValueHeaders: map[string][]string{"Cookie": {h + "; " + name + "=" + tok.Reveal()}}}, insecure)
		if got.Reveal() != tok.Reveal() && !strings.Contains(h, name) && strings.Count(h, ";") < 2999 {
			t.Fatalf("the session cookie after %q was not found: %q", h, got.Reveal())
		}
	})
}
