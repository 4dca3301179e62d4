package web

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
)

// Route serves one route: its answer, or the problem to answer instead. log names the request
// and its route.
type Route func(ctx context.Context, r Request, log *slog.Logger) (Response, *Problem)

// Routes is one HTTP function's route table, keyed "METHOD /path/{param}": API Gateway's method
// and resource, written exactly as infra/wiring writes the function's routes (each function's
// tests hold the two equal with Match).
type Routes map[string]Route

// Serve is the preamble every HTTP function shares. The route works within InTime, with a logger
// that names the request and its route (never its content); a route the table lacks is not found
// (API Gateway sends a function only its own routes). How the request ended is logged (Answer).
func (rs Routes) Serve(ctx context.Context, r Request, log *slog.Logger) Response {
	ctx, cancel := InTime(ctx)
	defer cancel()
	key := r.HTTPMethod + " " + r.Resource
	log = log.With("requestId", r.RequestContext.RequestID, "route", key)
	route, ok := rs[key]
	if !ok {
		return Answer(log, Response{}, NotFound())
	}
	resp, p := route(ctx, r, log)
	return Answer(log, resp, p)
}

// Match reports, as an error, every route that is in the table or in served but not in both.
func (rs Routes) Match(served []string) error {
	var extra, missing []string
	for k := range rs {
		if !slices.Contains(served, k) {
			extra = append(extra, k)
		}
	}
	for _, k := range served {
		if _, ok := rs[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(extra)+len(missing) == 0 {
		return nil
	}
	slices.Sort(extra)
	slices.Sort(missing)
	return fmt.Errorf("routed but not served: %v; served but not routed: %v", extra, missing)
}
