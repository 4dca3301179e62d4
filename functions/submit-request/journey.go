package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/page"
	"github.com/council/cfp/shared/web"
)

// The request journey keeps its place in one cookie, "journey" ("__Host-journey" in AWS):
// HttpOnly, SameSite=Lax, so that it comes back with the browser when S3 redirects it to the
// evidence page after an upload (a top-level GET from another site: Strict would drop it), and
// never with another site's POST.
//
// Before the draft exists, the cookie holds the answers typed so far. They are not signed: they
// are only what this browser typed, and the domain validates every one of them again before the
// draft is made (ValidateDraft), so a tampered cookie can do no more than typing could. Once the
// evidence page opens, the answers move into the draft in the table, and the cookie holds only the
// draft's id and its continuation token (the secret that lets this browser continue it). On the
// pages opened from an email (status, more information) it holds the link's token instead, so the
// token leaves the address bar at once.
//
// Bind is a random value the forms' anti-forgery fields are bound to (page.Forms): another site
// can neither read it nor send it with a POST.
type journey struct {
	Bind    string            `json:"b"`
	Answers access.NewRequest `json:"a"`
	ID      access.RequestID  `json:"id,omitempty"`
	Token   string            `json:"t,omitempty"`
	Link    bool              `json:"l,omitempty"` // Token is an emailed link's token, not a continuation token
}

const (
	journeyLife = access.DraftLifetime
	formLife    = 2 * time.Hour // a page left open longer is asked again
)

func (h Handler) journeyName() string { return web.JourneyCookieName(h.Insecure) }

// journeyOf reads the journey cookie; a missing or unreadable one is a fresh journey, whose Bind
// is new (fresh reports it, and the answer must then set the cookie).
func (h Handler) journeyOf(r web.Request) (j journey, fresh bool) {
	if value := web.Cookie(r, h.journeyName()); value != "" {
		if b, err := base64.RawURLEncoding.DecodeString(value); err == nil && json.Unmarshal(b, &j) == nil && len(j.Bind) >= 16 {
			return j, false
		}
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return journey{Bind: base64.RawURLEncoding.EncodeToString(b)}, true
}

// setCookie is the Set-Cookie value that keeps j in the browser.
func (h Handler) setCookie(j journey) string {
	b, _ := json.Marshal(j)
	v := h.journeyName() + "=" + base64.RawURLEncoding.EncodeToString(b) + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" + strconv.Itoa(int(journeyLife/time.Second))
	if !h.Insecure {
		v += "; Secure"
	}
	return v
}

// forms makes and checks the anti-forgery fields of j's pages. The key is the binding itself, a
// secret only this browser holds: the function needs no key of its own.
func (h Handler) forms(j journey) page.Forms {
	return page.Forms{Key: []byte("cfp-journey\x00" + j.Bind), TTL: formLife, Now: h.Now}
}

func (h Handler) formToken(j journey) string { return h.forms(j).Token(j.Bind) }

// readForm reads a posted form (at most web.MaxBody) and whether its anti-forgery field is this
// browser's and current.
func (h Handler) readForm(r web.Request, j journey, fresh bool) (url.Values, bool) {
	v, ok := web.Form(r)
	return v, ok && !fresh && h.forms(j).Valid(j.Bind, v.Get(page.FormField))
}
