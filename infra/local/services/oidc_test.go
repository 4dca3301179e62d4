package services

import (
	"encoding/json"
	"net/http"
	"testing"
)

// The local OpenID Provider serves discovery for its own issuer, on loopback only, with PKCE by S256.
func TestStaffIdPServesDiscovery(t *testing.T) {
	ctx := testContext(t)
	p, err := StartStaffIdP(ctx, 0, StaffIdP{ClientID: "cfp-staff", ClientSecret: "s", RedirectURI: "http://localhost:8080/staff/callback"}, testLog{t})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	assertLoopbackOnly(t, p)
	resp, err := http.Get(p.URL() + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d struct {
		Issuer  string   `json:"issuer"`
		Methods []string `json:"code_challenge_methods_supported"`
		Claims  []string `json:"claims_supported"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	if d.Issuer != p.URL() || len(d.Methods) != 1 || d.Methods[0] != "S256" {
		t.Errorf("discovery: issuer %q, PKCE methods %v; want %q and [S256]", d.Issuer, d.Methods, p.URL())
	}
}
