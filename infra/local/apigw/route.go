package apigw

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// segment is one part of a route template: a literal, a {name} or a greedy {name+}.
type segment struct {
	literal string
	name    string
	greedy  bool
}

// resource is a route template with its methods, as an API Gateway resource.
type resource struct {
	path    string
	segs    []segment
	methods map[string]Invoker // "ANY" matches every method
	allow   string             // for 405
}

func parseTemplate(path string) ([]segment, error) {
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("route %q does not start with /", path)
	}
	parts := strings.Split(path[1:], "/")
	segs := make([]segment, 0, len(parts))
	for i, p := range parts {
		if !strings.HasPrefix(p, "{") {
			if strings.ContainsAny(p, "{}") {
				return nil, fmt.Errorf("route %q: bad segment %q", path, p)
			}
			segs = append(segs, segment{literal: p})
			continue
		}
		name, ok := strings.CutSuffix(p[1:], "}")
		greedy := strings.HasSuffix(name, "+")
		name = strings.TrimSuffix(name, "+")
		if !ok || name == "" || strings.ContainsAny(name, "{}+") {
			return nil, fmt.Errorf("route %q: bad parameter %q", path, p)
		}
		if greedy && i != len(parts)-1 {
			return nil, fmt.Errorf("route %q: a greedy parameter must come last", path)
		}
		segs = append(segs, segment{name: name, greedy: greedy})
	}
	return segs, nil
}

// shape is the template with parameter names left out: two resources of one shape could never be
// told apart, and API Gateway refuses them.
func shape(segs []segment) string {
	var b strings.Builder
	for _, s := range segs {
		switch {
		case s.greedy:
			b.WriteString("/{+}")
		case s.name != "":
			b.WriteString("/{}")
		default:
			b.WriteString("/" + s.literal)
		}
	}
	return b.String()
}

// match matches the escaped request path against the template. rank says how specific the match
// is, segment by segment (literal 0, parameter 1, greedy 2): the smallest rank wins, as API Gateway
// prefers the most specific resource.
func (res *resource) match(parts []string) (params map[string]string, rank []int, ok bool) {
	params = map[string]string{}
	for i, s := range res.segs {
		if i >= len(parts) {
			return nil, nil, false
		}
		if s.greedy {
			v, err := url.PathUnescape(strings.Join(parts[i:], "/"))
			if err != nil || v == "" {
				return nil, nil, false
			}
			params[s.name] = v
			return params, append(rank, 2), true
		}
		v, err := url.PathUnescape(parts[i])
		if err != nil {
			return nil, nil, false
		}
		switch {
		case s.name == "" && v == s.literal:
			rank = append(rank, 0)
		case s.name != "" && v != "":
			params[s.name] = v
			rank = append(rank, 1)
		default:
			return nil, nil, false
		}
	}
	if len(parts) != len(res.segs) {
		return nil, nil, false
	}
	return params, rank, true
}

// find returns the most specific resource matching the escaped path, with its decoded parameters.
func find(resources []*resource, escapedPath string) (*resource, map[string]string) {
	if !strings.HasPrefix(escapedPath, "/") {
		return nil, nil
	}
	parts := strings.Split(escapedPath[1:], "/")
	var best *resource
	var bestParams map[string]string
	var bestRank []int
	for _, res := range resources {
		params, rank, ok := res.match(parts)
		if ok && (best == nil || slices.Compare(rank, bestRank) < 0) {
			best, bestParams, bestRank = res, params, rank
		}
	}
	return best, bestParams
}
