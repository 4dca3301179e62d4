package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// The portal's pages, as a browser loads them from the site (pages at /, the API at /api): the
// start page (function site, nobody signed in), and, signed in, the client list and a client's
// document list (function account). Each is a scenario of its own, so each has its own pages per
// second and percentiles. The people are those the document-list scenario signed in through the
// API: their session cookie goes with every page, as the site would have set it.

// portalPage is one page of the portal to load: its path for person i, and a mark every good answer's
// HTML carries.
type portalPage struct {
	name   string
	path   func(pp *person) string
	mark   string
	signed bool
	note   string
}

var portalPages = []portalPage{
	{"page: start (site)", func(*person) string { return "/" }, "Start now", false, ""},
	{"page: client list (signed in)", func(*person) string { return "/clients" }, `id="clients"`, true, ", one client each"},
	{"page: document list (signed in)", func(pp *person) string { return "/clients/" + pp.ClientRef }, `id="documents"`, true, ": the first page (20) of the client's documents"},
}

// pages loads one portal page p.Pages times, spread over the signed-in people.
func pages(ctx context.Context, t Target, p Plan, pg portalPage, people []*person, arranged error) Result {
	if arranged != nil || len(people) == 0 {
		r := Result{Name: pg.name, Planned: p.Pages, Statuses: map[int]int{}}
		r.fail("arranging signed-in people: %v", arranged)
		return r
	}
	hc := &http.Client{Transport: transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r := drive(ctx, pg.name, p.Pages, p.Concurrency, p.ScenarioTime, func(ctx context.Context, i int) (int, error) {
		pp := people[i%len(people)]
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.Site+pg.path(pp), nil)
		if err != nil {
			return 0, err
		}
		if pg.signed {
			req.Header.Set("Cookie", pp.cookies())
		}
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		switch {
		case err != nil:
			return resp.StatusCode, err
		case resp.StatusCode == http.StatusOK && !strings.Contains(string(body), pg.mark):
			return resp.StatusCode, fmt.Errorf("a 200 page without %s", pg.mark)
		}
		return resp.StatusCode, nil
	})
	r.only(http.StatusOK)
	if pg.signed {
		r.Notes = append(r.Notes, fmt.Sprintf("HTML from %s for %d people signed in through the API%s", t.Site, len(people), pg.note))
	}
	return r
}

// cookies is the Cookie header the person's browser sends: the API set the session cookie, and
// the site is the same site (in AWS one origin; locally the API alone may be on another port).
func (pp *person) cookies() string {
	u, _ := url.Parse(pp.t.API)
	var parts []string
	for _, c := range pp.http.Jar.Cookies(u) {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}
