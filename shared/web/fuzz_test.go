package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
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
