package main

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/council/cfp/shared/brand"
	"github.com/council/cfp/shared/page"
	"github.com/council/cfp/shared/web"
)

func handler() Handler {
	return Handler{Brand: brand.Sample(), Cookie: "__Host-session", JourneyCookie: "__Host-journey", RetentionDays: 90, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func get(resource, path string) web.Request {
	r := web.Request{HTTPMethod: "GET", Resource: resource, Path: path}
	if strings.Contains(resource, "{") {
		name := resource[strings.Index(resource, "{")+1 : strings.Index(resource, "}")]
		r.PathParameters = map[string]string{strings.TrimSuffix(name, "+"): strings.TrimPrefix(path, resource[:strings.Index(resource, "{")])}
	}
	return r
}

func serve(t *testing.T, r web.Request) web.Response {
	t.Helper()
	resp, err := handler().Handle(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// pageHeaders are what every page carries (page.Respond): a strict policy, no referrer, no framing.
func checkPageHeaders(t *testing.T, name string, resp web.Response) {
	t.Helper()
	h := resp.Headers
	csp := h["Content-Security-Policy"]
	for _, want := range []string{"default-src 'none'", "script-src 'self' 'nonce-", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: Content-Security-Policy %q lacks %q", name, csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("%s: Content-Security-Policy allows inline script or style: %q", name, csp)
	}
	if h["Referrer-Policy"] != "no-referrer" || h["X-Frame-Options"] != "DENY" || h["X-Content-Type-Options"] != "nosniff" {
		t.Errorf("%s: headers %v", name, h)
	}
	if h["Content-Type"] != "text/html; charset=utf-8" || !strings.HasPrefix(resp.Body, "<!doctype html>") && !strings.HasPrefix(resp.Body, "<!DOCTYPE html>") {
		t.Errorf("%s: not a page: %q %.80s", name, h["Content-Type"], resp.Body)
	}
	if !strings.Contains(h["Cache-Control"], "no-cache") && !strings.Contains(h["Cache-Control"], "no-store") {
		t.Errorf("%s: Cache-Control %q: a page carries a fresh nonce, so no cache may reuse it unchecked", name, h["Cache-Control"])
	}
}

func TestEveryPageIsServedWithItsHeadersAndBranding(t *testing.T) {
	pages := map[string][]string{
		"/":              {"Ask to see a client", "property and financial affairs", "registered Enduring Power of Attorney", "deputy for property and affairs", "appointee", "deputyship order", "appointee letter", "What happens next", "more than one person", "joint attorneys", `href="/request/relationship"`, "Start now"},
		"/accessibility": {"Accessibility statement", "WCAG", "2.2", "Reporting accessibility problems", "Enforcement procedure", "Equality and Human Rights Commission"},
		"/privacy":       {"Privacy notice", "evidence files", "90 days", "never send", "Client Finance team", "Your rights", "Information Commissioner"},
		"/cookies":       {"Cookies", "__Host-session", "__Host-journey", "two cookies", "do not ask for"},
		"/contact":       {"Contact", "020 7946 0000", "clientfinance@example.gov.uk", "Monday to Friday"},
	}
	for path, wants := range pages {
		resp := serve(t, get(path, path))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, resp.Body)
		}
		checkPageHeaders(t, path, resp)
		for _, want := range append(wants, "Example Borough Council", "Client Finance Portal", `href="/accessibility"`, `href="/privacy"`, `href="/cookies"`, `href="/contact"`, page.Asset("portal.css")) {
			if !strings.Contains(resp.Body, want) {
				t.Errorf("GET %s: the page lacks %q", path, want)
			}
		}
		if strings.Contains(resp.Body, `http-equiv="refresh"`) {
			t.Errorf("GET %s: refreshes itself", path)
		}
	}
}

func TestBrandingComesFromTheConfiguration(t *testing.T) {
	h := handler()
	h.Brand.Council, h.Brand.Phone, h.Brand.PrivacyURL = "Northshire County Council", "01632 960999", "https://www.northshire.example/privacy"
	resp, _ := h.Handle(context.Background(), get("/", "/"))
	for _, want := range []string{"Northshire County Council", "01632 960999", `href="https://www.northshire.example/privacy"`} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("the start page lacks %q", want)
		}
	}
	if strings.Contains(resp.Body, "Example Borough Council") {
		t.Error("the sample council shows through the configured one")
	}
}

func TestAssetsAreKeptForAYear(t *testing.T) {
	for _, name := range []string{"portal.css", "init.js", "govuk-frontend.min.js", "favicon.svg"} {
		path := page.Asset(name)
		resp := serve(t, get("/assets/{file}", path))
		if resp.StatusCode != http.StatusOK || resp.Headers["Cache-Control"] != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: %d, Cache-Control %q", path, resp.StatusCode, resp.Headers["Cache-Control"])
		}
		if resp.Headers["X-Content-Type-Options"] != "nosniff" || resp.Headers["Content-Type"] == "" {
			t.Errorf("GET %s: headers %v", path, resp.Headers)
		}
		body := resp.Body
		if resp.IsBase64Encoded {
			b, _ := base64.StdEncoding.DecodeString(body)
			body = string(b)
		}
		if len(body) == 0 {
			t.Errorf("GET %s: empty", path)
		}
	}
	// A name that is not current must not be cached for a year.
	resp := serve(t, get("/assets/{file}", "/assets/portal.000000000000.css"))
	if resp.StatusCode != http.StatusNotFound || resp.Headers["Cache-Control"] != "no-store" {
		t.Errorf("stale asset: %d, Cache-Control %q", resp.StatusCode, resp.Headers["Cache-Control"])
	}
}

func TestAnUnknownPathIsAPageNotJSON(t *testing.T) {
	resp := serve(t, get("/{proxy+}", "/no/such/page"))
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown path: %d", resp.StatusCode)
	}
	checkPageHeaders(t, "unknown path", resp)
	if !strings.Contains(resp.Body, "Page not found") || !strings.Contains(resp.Body, `href="/"`) {
		t.Errorf("the not-found page: %.300s", resp.Body)
	}
	// A program calling an API route that does not exist gets a problem, as from the API.
	api := serve(t, get("/{proxy+}", "/api/no-such-thing"))
	if api.StatusCode != http.StatusNotFound || !strings.HasPrefix(api.Headers["Content-Type"], "application/problem+json") {
		t.Errorf("unknown API path: %d %v", api.StatusCode, api.Headers)
	}
}

// Pages carry no personal data, so no page keeps anything out of a cache it need not; but none sets
// a cookie either: the site has nothing to remember.
func TestPagesSetNoCookie(t *testing.T) {
	for _, path := range []string{"/", "/accessibility", "/privacy", "/cookies", "/contact"} {
		resp := serve(t, get(path, path))
		if _, ok := resp.Headers["Set-Cookie"]; ok || len(resp.MultiValueHeaders["Set-Cookie"]) > 0 {
			t.Errorf("GET %s sets a cookie", path)
		}
	}
}
