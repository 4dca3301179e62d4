package main

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/a-h/templ"

	"github.com/council/cfp/shared/brand"
	"github.com/council/cfp/shared/page"
	"github.com/council/cfp/shared/web"
)

// Handler serves the site's pages.
type Handler struct {
	Brand         brand.Brand
	Cookie        string // the session cookie's name, as the cookies page lists it
	JourneyCookie string // the request journey's cookie's name (web.JourneyCookieName)
	RetentionDays int    // how long evidence is kept, as the privacy notice says
	Log           *slog.Logger
}

// routes is the function's route table: its keys are the wiring's routes (routes_test.go).
func (h Handler) routes() web.Routes {
	return web.Routes{
		"GET /":              pageRoute(startPage(h.Brand)),
		"GET /accessibility": pageRoute(accessibilityPage(h.Brand)),
		"GET /privacy":       pageRoute(privacyPage(h.Brand, h.RetentionDays)),
		"GET /cookies":       pageRoute(cookiesPage(h.Brand, h.Cookie, h.JourneyCookie)),
		"GET /contact":       pageRoute(contactPage(h.Brand)),
		"GET /assets/{file}": func(_ context.Context, r web.Request, _ *slog.Logger) (web.Response, *web.Problem) {
			return page.Static(r), nil
		},
		// Any other path: a page for a person, a problem for a program calling an API that is not there.
		"GET /{proxy+}": func(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
			if strings.HasPrefix(r.Path, "/api/") {
				return web.Response{}, web.NotFound()
			}
			return page.Respond(ctx, log, http.StatusNotFound, page.Policy{}, notFoundPage(h.Brand)), nil
		},
	}
}

// pageRoute serves one page that is the same for everyone, with its security headers.
func pageRoute(c templ.Component) web.Route {
	return func(ctx context.Context, _ web.Request, log *slog.Logger) (web.Response, *web.Problem) {
		return page.Respond(ctx, log, http.StatusOK, page.Policy{}, c), nil
	}
}

func (h Handler) Handle(ctx context.Context, r web.Request) (web.Response, error) {
	return h.routes().Serve(ctx, r, h.Log), nil
}
