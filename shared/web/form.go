package web

import (
	"net/http"
	"net/url"
)

// Form reads a page's posted form: at most MaxBody bytes, URL-encoded. ok is false for anything
// else, which a page answers as a form it cannot take.
func Form(r Request) (url.Values, bool) {
	body, err := Body(r)
	if err != nil || len(body) > MaxBody {
		return url.Values{}, false
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return url.Values{}, false
	}
	return v, true
}

// SeeOther answers 303 to path (after a form is taken, or to the page a person should be on),
// setting each non-empty cookie; the answer is never cached.
func SeeOther(path string, cookies ...string) Response {
	resp := Response{StatusCode: http.StatusSeeOther, Headers: map[string]string{"Location": path, "Cache-Control": "no-store"}}
	var set []string
	for _, c := range cookies {
		if c != "" {
			set = append(set, c)
		}
	}
	switch len(set) {
	case 0:
	case 1:
		resp.Headers["Set-Cookie"] = set[0]
	default:
		resp.MultiValueHeaders = map[string][]string{"Set-Cookie": set}
	}
	return resp
}
