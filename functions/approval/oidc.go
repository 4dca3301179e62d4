package main

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Claims are what the workspace takes from a verified ID token.
type Claims struct {
	Subject string   `json:"sub"`
	Email   string   `json:"email"`
	Name    string   `json:"name"`
	Groups  []string `json:"groups"`
}

// IdP is the staff identity provider as the sign-in uses it.
type IdP interface {
	// AuthURL is where the browser goes to sign in: the authorization code flow with PKCE (S256).
	AuthURL(ctx context.Context, state, nonce, verifier string) (string, error)
	// Claims redeems the code with its verifier and returns the ID token's claims once its signature,
	// issuer, audience, expiry and nonce are checked.
	Claims(ctx context.Context, code, verifier, nonce string) (Claims, error)
}

// OIDC speaks OpenID Connect to the council's identity provider. Discovery happens on first use
// and is kept once it worked, so a cold start does not fail while the provider is briefly away.
type OIDC struct {
	Issuer, ClientID, RedirectURL string
	// ClientSecret is read on first need (vault), not at start: a cold start makes no call.
	ClientSecret interface {
		Text(context.Context) (string, error)
	}

	mu sync.Mutex
	p  *oidc.Provider
}

// errToken is any ID token the workspace refuses; the reason goes to the log, never to the page.
var errToken = errors.New("the identity provider's answer was refused")

func (o *OIDC) config(ctx context.Context) (*oidc.Provider, oauth2.Config, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.p == nil {
		// The provider keeps this context for fetching its signing keys later: not the request's.
		p, err := oidc.NewProvider(context.WithoutCancel(ctx), o.Issuer)
		if err != nil {
			return nil, oauth2.Config{}, fmt.Errorf("discovering the staff identity provider: %w", err)
		}
		o.p = p
	}
	secret, err := o.ClientSecret.Text(ctx)
	if err != nil {
		return nil, oauth2.Config{}, fmt.Errorf("the staff client secret: %w", err)
	}
	return o.p, oauth2.Config{
		ClientID: o.ClientID, ClientSecret: secret, RedirectURL: o.RedirectURL,
		Endpoint: o.p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email", "profile"},
	}, nil
}

func (o *OIDC) AuthURL(ctx context.Context, state, nonce, verifier string) (string, error) {
	_, c, err := o.config(ctx)
	if err != nil {
		return "", err
	}
	return c.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), nil
}

func (o *OIDC) Claims(ctx context.Context, code, verifier, nonce string) (Claims, error) {
	p, c, err := o.config(ctx)
	if err != nil {
		return Claims{}, err
	}
	tok, err := c.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return Claims{}, fmt.Errorf("%w: redeeming the code: %v", errToken, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Claims{}, fmt.Errorf("%w: no ID token", errToken)
	}
	// Verify checks the signature against the provider's keys, the issuer, the audience (our
	// client id) and the expiry; the nonce is ours to compare.
	id, err := p.Verifier(&oidc.Config{ClientID: o.ClientID}).Verify(ctx, raw)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %v", errToken, err)
	}
	if id.Nonce != nonce {
		return Claims{}, fmt.Errorf("%w: the nonce is not this sign-in's", errToken)
	}
	var cl Claims
	if err := id.Claims(&cl); err != nil {
		return Claims{}, fmt.Errorf("%w: %v", errToken, err)
	}
	return cl, nil
}
