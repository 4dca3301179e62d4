package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestDecodeJSONIsStrict(t *testing.T) {
	type body struct {
		Name string `json:"name"`
		Age  int    `json:"age"`
	}
	cases := map[string]int{
		`{"name":"a"}`:              0,
		`{"name":"a","admin":true}`: 400,
		`{"name":"a"} {"name":"b"}`: 400,
		`{"name":`:                  400,
		`{"age":"old"}`:             400,
		`{"name":"` + strings.Repeat("x", MaxBody) + `"}`: 413,
	}
	for in, want := range cases {
		var b body
		p := DecodeJSON(events.APIGatewayProxyRequest{Body: in}, &b)
		got := 0
		if p != nil {
			got = p.Status
		}
		if got != want {
			t.Errorf("%.40q: %d, want %d", in, got, want)
		}
	}
	var b body
	if p := DecodeJSON(events.APIGatewayProxyRequest{Body: `{"admin":1}`}, &b); p == nil || len(p.Errors) != 1 || p.Errors[0].Field != "admin" {
		t.Errorf("unknown field not named: %+v", p)
	}
}

func TestCheckBrowser(t *testing.T) {
	const portal = "http://localhost:8080"
	req := func(origin, ct, body string) events.APIGatewayProxyRequest {
		return events.APIGatewayProxyRequest{Body: body, Headers: map[string]string{"origin": origin, "content-type": ct}}
	}
	for _, c := range []struct {
		r  events.APIGatewayProxyRequest
		ok bool
	}{
		{req(portal, "application/json", "{}"), true},
		{req(portal, "application/json; charset=utf-8", "{}"), true},
		{req(portal, "", ""), true},
		{req("http://localhost:8080.evil.example", "application/json", "{}"), false},
		{req("", "application/json", "{}"), false},
		{req(portal, "text/plain", "{}"), false},
		{req(portal, "application/x-www-form-urlencoded", "a=1"), false},
	} {
		if p := CheckBrowser(c.r, portal); (p == nil) != c.ok || (p != nil && p.Status != http.StatusForbidden) {
			t.Errorf("%v: %+v", c.r.Headers, p)
		}
	}
	if Origin("https://portal.example.gov.uk/path?q") != "https://portal.example.gov.uk" {
		t.Error("origin")
	}
}

func TestFormReadsAnEncodedBodyUpToMaxBody(t *testing.T) {
	if v, ok := Form(Request{Body: "a=1&b=two+words"}); !ok || v.Get("b") != "two words" {
		t.Errorf("%v %v", v, ok)
	}
	if _, ok := Form(Request{Body: "a=%zz"}); ok {
		t.Error("a malformed form was taken")
	}
	if _, ok := Form(Request{Body: "a=" + strings.Repeat("x", MaxBody)}); ok {
		t.Error("a form over MaxBody was taken")
	}
}

func TestSeeOtherSetsEachCookieGiven(t *testing.T) {
	if r := SeeOther("/next", ""); r.StatusCode != 303 || r.Headers["Location"] != "/next" || r.Headers["Cache-Control"] != "no-store" || r.Headers["Set-Cookie"] != "" {
		t.Errorf("%+v", r)
	}
	if r := SeeOther("/next", "a=1"); r.Headers["Set-Cookie"] != "a=1" {
		t.Errorf("%+v", r)
	}
	if r := SeeOther("/next", "a=1", "b=2"); len(r.MultiValueHeaders["Set-Cookie"]) != 2 {
		t.Errorf("%+v", r)
	}
}
