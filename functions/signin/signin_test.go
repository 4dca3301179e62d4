package main

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
	"github.com/council/cfp/shared/web/webtest"
)

func askCode(t *testing.T, f *fixture, e access.Email) {
	t.Helper()
	resp := f.do(t, webtest.Request("POST", "/api/session", nil, map[string]string{"email": string(e)}, ""))
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("ask for code: %d %s", resp.StatusCode, resp.Body)
	}
}

func enter(t *testing.T, f *fixture, e access.Email, code string) int {
	t.Helper()
	return f.do(t, webtest.Request("POST", "/api/session/verify", nil, map[string]string{"email": string(e), "code": code}, "")).StatusCode
}

// wrong returns a code of the same length that is not code.
func wrong(code string) string {
	return fmt.Sprintf("%06d", (atoi(code)+1)%1000000)
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestAskingForACodeAnswersTheSameForEveryAddress(t *testing.T) {
	f := newFixture(t)
	active, unverified, unknown := access.Email("ann@example.com"), access.Email("bob@example.com"), access.Email("nobody@example.com")
	f.account(t, active, "Ann")
	f.accountIn(t, unverified, "Bob", store.AccountUnverified) // registered, not yet confirmed
	var bodies []string
	for _, e := range []access.Email{active, unverified, unknown, "ANN@Example.com"} {
		resp := f.do(t, webtest.Request("POST", "/api/session", nil, map[string]string{"email": string(e)}, ""))
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("%s: %d %s", e, resp.StatusCode, resp.Body)
		}
		bodies = append(bodies, resp.Body)
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Fatalf("answers differ: %q and %q", bodies[0], b)
		}
	}
	if n := len(f.mail.to(active)); n != 2 {
		t.Fatalf("%d codes to the active account (addresses compare case-insensitively), want 2", n)
	}
	if len(f.mail.to(unverified))+len(f.mail.to(unknown)) != 0 {
		t.Fatal("a code went to an address without an active account")
	}
	m := f.mail.to(active)[1]
	if code := f.mail.lastCode(t, active); !strings.Contains(m.Subject, "sign-in code") || !strings.Contains(m.HTML, code) || !strings.Contains(m.Text, code) {
		t.Fatalf("code email: %+v", m)
	}
	// The unverified account is sent its verification link again, through the outbox.
	due := f.s.mailQueued()
	verifications := 0
	for _, q := range due {
		if q.Template == mail.SignInCode || strings.Contains(fmt.Sprint(q), f.mail.lastCode(t, active)) {
			t.Fatal("a sign-in code is in the outbox, in the table")
		}
		if q.Template == mail.Verification && q.To == unverified {
			verifications++
		}
	}
	if verifications != 1 {
		t.Fatalf("%d verification emails for the unverified account, want one resend", verifications)
	}
	if resp := f.do(t, webtest.Request("POST", "/api/session", nil, map[string]string{"email": "not an address"}, "")); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("malformed address: %d", resp.StatusCode)
	}
}

// While SES fails, only an existing account's code meets the failure: the answer must not differ
// from an unknown address's, or an outage would tell who has an account here.
func TestWhileSESFailsTheAnswerStillDoesNotTellWhoHasAnAccount(t *testing.T) {
	f := newFixture(t)
	active := access.Email("ann@example.com")
	f.account(t, active, "Ann")
	f.mail.fail = errors.New("ThrottlingException: Maximum sending rate exceeded")
	var answers []string
	for _, e := range []access.Email{active, "nobody@example.com"} {
		resp := f.do(t, webtest.Request("POST", "/api/session", nil, map[string]string{"email": string(e)}, ""))
		answers = append(answers, fmt.Sprint(resp.StatusCode, resp.Body))
	}
	if answers[0] != answers[1] || !strings.HasPrefix(answers[0], "202") {
		t.Fatalf("answers differ while SES fails: %q and %q", answers[0], answers[1])
	}
	f.mail.fail = nil // SES is back: asking again sends the code
	if resp := f.do(t, webtest.Request("POST", "/api/session", nil, map[string]string{"email": string(active)}, "")); resp.StatusCode != http.StatusAccepted || len(f.mail.to(active)) != 1 {
		t.Fatalf("asking again after SES came back: %d, %d codes", resp.StatusCode, len(f.mail.to(active)))
	}
}

// Codes for one address and browser are bounded in a sliding hour: silently (202, as for any
// address), and an hour after five codes asked at once, the window still holds them; twelve
// minutes later one of them has aged out.
func TestCodesPerAddressPerHourAreBounded(t *testing.T) {
	f := newFixture(t)
	e := access.Email("cat@example.com")
	f.account(t, e, "Cat")
	for i := 0; i < browserCodesPerHour+2; i++ {
		askCode(t, f, e)
	}
	if n := len(f.mail.to(e)); n != browserCodesPerHour {
		t.Fatalf("%d codes sent in an hour, want %d", n, browserCodesPerHour)
	}
	f.later(time.Hour)
	askCode(t, f, e)
	if n := len(f.mail.to(e)); n != browserCodesPerHour {
		t.Fatalf("a code as the next fixed hour began: %d", n)
	}
	f.later(12 * time.Minute)
	askCode(t, f, e)
	if n := len(f.mail.to(e)); n != browserCodesPerHour+1 {
		t.Fatalf("no code once the window slid: %d", n)
	}
}

// Lockout by strangers: a stranger asks for five codes for the person's address and guesses at
// it; the person's own browser still gets its code, and the right code signs them in.
func TestAStrangerCannotStopThePersonSigningIn(t *testing.T) {
	f := newFixture(t)
	e := access.Email("pat@example.com")
	f.account(t, e, "Pat")
	f.from(f.stranger)
	for i := 0; i < 5; i++ {
		askCode(t, f, e)
		if got := enter(t, f, e, "000000"); got != http.StatusUnauthorized {
			t.Fatalf("the stranger's guess %d: %d", i+1, got)
		}
	}
	for i := 0; i < 5; i++ { // and guesses without any browser value
		resp := f.do(t, webtest.Request("POST", "/api/session/verify", nil, map[string]string{"email": string(e), "code": "000000"}, "x=y"))
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a guess without the browser value: %d", resp.StatusCode)
		}
	}
	f.from(f.person)
	askCode(t, f, e)
	if got := enter(t, f, e, f.mail.lastCode(t, e)); got != http.StatusNoContent {
		t.Fatalf("the person's own code after the stranger's requests and guesses: %d", got)
	}
}

// A code works only in the browser that asked for it: typed elsewhere it is 401, and it does not
// use up the attempts of the browser that asked.
func TestACodeWorksOnlyInTheBrowserThatAskedForIt(t *testing.T) {
	f := newFixture(t)
	e := access.Email("ros@example.com")
	f.account(t, e, "Ros")
	askCode(t, f, e)
	code := f.mail.lastCode(t, e)
	f.from(f.stranger)
	for i := 0; i < store.CodeAttempts+1; i++ {
		if got := enter(t, f, e, code); got != http.StatusUnauthorized {
			t.Fatalf("the right code from another browser: %d", got)
		}
	}
	f.from(f.person)
	if got := enter(t, f, e, code); got != http.StatusNoContent {
		t.Fatalf("the asking browser's code: %d", got)
	}
}

// A source is limited on codes and on attempts, whatever the addresses: 429 with Retry-After, the
// same for an address with an account and one without; another source is not held up.
func TestASourceIsLimitedWith429AndRetryAfter(t *testing.T) {
	f := newFixture(t)
	f.account(t, "ann@example.com", "Ann")
	for i := 0; i < sourceCodesPerHour; i++ {
		askCode(t, f, access.Email(fmt.Sprintf("someone%d@example.com", i)))
	}
	var answers []string
	for _, e := range []string{"ann@example.com", "nobody@example.com"} {
		resp := f.do(t, webtest.Request("POST", "/api/session", nil, map[string]string{"email": e}, ""))
		if resp.StatusCode != http.StatusTooManyRequests || resp.Headers["Retry-After"] == "" {
			t.Fatalf("code %d from one source: %d %v", sourceCodesPerHour+1, resp.StatusCode, resp.Headers)
		}
		answers = append(answers, resp.Body+resp.Headers["Retry-After"])
	}
	if answers[0] != answers[1] {
		t.Fatalf("429s differ: %q and %q", answers[0], answers[1])
	}
	if n := atoi(f.do(t, webtest.Request("POST", "/api/session", nil, map[string]string{"email": "ann@example.com"}, "")).Headers["Retry-After"]); n < 60 || n > 2*3600 { // the window and, at worst, another as the weighting forgets
		t.Fatalf("Retry-After %d seconds", n)
	}
	for i := 0; i < sourceAttemptsPerHour; i++ {
		if got := enter(t, f, "nobody@example.com", "000000"); got != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, got)
		}
	}
	if got := enter(t, f, "ann@example.com", "000000"); got != http.StatusTooManyRequests {
		t.Fatalf("attempt %d from one source: %d", sourceAttemptsPerHour+1, got)
	}
	f.from(f.stranger) // another source is not held up by this one
	askCode(t, f, "ann@example.com")
	if got := enter(t, f, "ann@example.com", f.mail.lastCode(t, "ann@example.com")); got != http.StatusNoContent {
		t.Fatalf("another source: %d", got)
	}
}

func TestSignInWithTheCode(t *testing.T) {
	f := newFixture(t)
	e := access.Email("dan@example.com")
	f.account(t, e, "Dan")
	askCode(t, f, e)
	code := f.mail.lastCode(t, e)
	if enter(t, f, e, wrong(code)) != http.StatusUnauthorized {
		t.Fatal("a wrong code was not 401")
	}
	resp := f.do(t, webtest.Request("POST", "/api/session/verify", nil, map[string]string{"email": "DAN@example.com", "code": code[:3] + " " + code[3:]}, ""))
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("sign in: %d %s", resp.StatusCode, resp.Body)
	}
	sc := resp.Headers["Set-Cookie"]
	for _, want := range []string{"__Host-session=", "; Path=/", "; HttpOnly", "; SameSite=Strict", "; Secure", "; Max-Age=43200"} {
		if !strings.Contains(sc, want) {
			t.Errorf("Set-Cookie %q lacks %q", sc, want)
		}
	}
	if strings.Contains(sc, "Domain") {
		t.Errorf("a __Host- cookie has a Domain: %q", sc)
	}
	value := strings.TrimPrefix(strings.Split(sc, ";")[0], "__Host-session=")
	if len(value) != 43 { // 32 random bytes, base64url without padding
		t.Errorf("session token of %d characters", len(value))
	}
	if s, ok := f.sessionOf(t, resp); !ok || s.Name != "Dan" || s.Email != e {
		t.Fatalf("the cookie's session: %+v %v", s, ok)
	}

	// The code worked once.
	if enter(t, f, e, code) != http.StatusUnauthorized {
		t.Fatal("a used code worked again")
	}
}

func TestTheSixthAttemptIsRefusedEvenWithTheRightCode(t *testing.T) {
	f := newFixture(t)
	e := access.Email("eve@example.com")
	f.account(t, e, "Eve")
	askCode(t, f, e)
	code := f.mail.lastCode(t, e)
	for i := 1; i <= store.CodeAttempts; i++ {
		if got := enter(t, f, e, wrong(code)); got != http.StatusUnauthorized {
			t.Fatalf("wrong attempt %d: %d", i, got)
		}
	}
	if got := enter(t, f, e, code); got != http.StatusTooManyRequests {
		t.Fatalf("sixth attempt with the right code: %d", got)
	}
	// A new code works.
	askCode(t, f, e)
	if got := enter(t, f, e, f.mail.lastCode(t, e)); got != http.StatusNoContent {
		t.Fatalf("new code: %d", got)
	}
}

func TestCodesThatMustNotWork(t *testing.T) {
	f := newFixture(t)
	a, b := access.Email("fay@example.com"), access.Email("gus@example.com")
	f.account(t, a, "Fay")
	f.account(t, b, "Gus")
	askCode(t, f, a)
	askCode(t, f, b)
	codeA := f.mail.lastCode(t, a)
	// A's code entered for B: bound to A's address, it is wrong for B.
	if got := enter(t, f, b, codeA); got != http.StatusUnauthorized {
		t.Fatalf("another address's code: %d", got)
	}
	// For an address with no code or no account, the same answer.
	for _, e := range []access.Email{"nobody@example.com"} {
		if got := enter(t, f, e, codeA); got != http.StatusUnauthorized {
			t.Fatalf("no code: %d", got)
		}
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef", "12345x"} {
		if got := enter(t, f, a, bad); got != http.StatusUnauthorized {
			t.Errorf("malformed code %q: %d", bad, got)
		}
	}
	// After ten minutes the code has expired: 401, the same answer as a wrong one.
	f.later(store.CodeTTL)
	if got := enter(t, f, a, codeA); got != http.StatusUnauthorized {
		t.Fatalf("expired code: %d", got)
	}
	// The right code in time still works for B after A's attempt on it.
	f.later(-store.CodeTTL)
	if got := enter(t, f, b, f.mail.lastCode(t, b)); got != http.StatusNoContent {
		t.Fatalf("B's own code: %d", got)
	}
}

func TestInsecureCookiesOnlyWhenSet(t *testing.T) {
	f := newFixture(t)
	f.h.Insecure = true
	e := access.Email("hal@example.com")
	f.account(t, e, "Hal")
	askCode(t, f, e)
	resp := f.do(t, webtest.Request("POST", "/api/session/verify", nil, map[string]string{"email": string(e), "code": f.mail.lastCode(t, e)}, ""))
	sc := resp.Headers["Set-Cookie"]
	if !strings.HasPrefix(sc, "session=") || strings.Contains(sc, "Secure") || !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Strict") {
		t.Fatalf("insecure cookie %q", sc)
	}
	if _, ok := f.sessionOf(t, resp); !ok {
		t.Fatal("the insecure cookie's session is not stored")
	}
}

// No account oracle: once a code has been asked for, an active account, an unverified one and an
// address with no account answer every attempt at /session/verify alike, the 429 after the limit
// included, and make the same store calls (time is not asserted).
func TestVerifyAnswersAlikeWithOrWithoutAnAccount(t *testing.T) {
	f := newFixture(t)
	active, unverified, unknown := access.Email("ann@example.com"), access.Email("bob@example.com"), access.Email("nobody@example.com")
	f.account(t, active, "Ann")
	f.accountIn(t, unverified, "Bob", store.AccountUnverified) // registered, not yet confirmed
	var asks []string
	var runs [][]string
	for i, e := range []access.Email{active, unverified, unknown} {
		f.from(&client{ip: fmt.Sprintf("192.0.2.%d", 20+i)}) // each within its source's limits
		f.s.takeCalls()
		askCode(t, f, e)
		asks = append(asks, fmt.Sprint(f.s.takeCalls()))
		guess := wrong(f.mail.lastCode(t, active))
		var run []string
		for i := 1; i <= store.CodeAttempts+2; i++ {
			resp := f.do(t, webtest.Request("POST", "/api/session/verify", nil, map[string]string{"email": string(e), "code": guess}, ""))
			run = append(run, fmt.Sprintf("%d %s %v", resp.StatusCode, resp.Body, f.s.takeCalls()))
		}
		runs = append(runs, run)
	}
	if asks[0] != asks[2] {
		t.Errorf("asking for a code: the active account's store calls %s, no account's %s", asks[0], asks[2])
	}
	for i := range runs[0] {
		if runs[1][i] != runs[0][i] || runs[2][i] != runs[0][i] {
			t.Fatalf("attempt %d: active %q, unverified %q, no account %q", i+1, runs[0][i], runs[1][i], runs[2][i])
		}
	}
	if !strings.HasPrefix(runs[0][0], "401 ") || !strings.HasPrefix(runs[0][store.CodeAttempts], "429 ") {
		t.Fatalf("attempts: %q", runs[0])
	}
	if len(f.mail.to(unverified))+len(f.mail.to(unknown)) != 0 {
		t.Fatal("a code went to an address without an active account")
	}
}

// The table holds a code's hash under the key, which the table does not hold: with the code and the
// address alone (or another key) nobody recomputes it, so a copy of the table gives away no code.
func TestTheStoredCodeHashNeedsTheKey(t *testing.T) {
	f := newFixture(t)
	e := access.Email("hal@example.com")
	f.account(t, e, "Hal")
	askCode(t, f, e)
	code := secret.From(f.mail.lastCode(t, e))
	_, value, _ := strings.Cut(f.cur.cookie, "=")
	stored := f.s.codes[codeOf(e, secret.From(value).Hash())].Hash
	other, _ := secret.HMACKey("another-key-of-at-least-thirty-two-bytes")
	if stored == code.HashWith(string(e)) || stored == other.HashWith(code, string(e)) {
		t.Fatal("the stored hash of a code can be recomputed without the function's key")
	}
	if stored != testKey.HashWith(code, string(e)) {
		t.Fatal("the stored hash is not the code's hash under the function's key")
	}
}

// BenchmarkVerify shows, never asserts, the time of a wrong attempt at /session/verify for an
// active account and for an address with no account (over the in-memory store, so it is the
// handler's own work: the DynamoDB call is the same single TryCode for both).
func BenchmarkVerify(b *testing.B) {
	for _, withAccount := range []bool{true, false} {
		name := map[bool]string{true: "account", false: "no-account"}[withAccount]
		b.Run(name, func(b *testing.B) {
			f := newFixture(b)
			f.h.SignInFloor = 0
			e := access.Email(name + "@example.com")
			if withAccount {
				f.account(b, e, "Bench")
			}
			ask := webtest.Request("POST", "/api/session", nil, map[string]string{"email": string(e)}, "")
			try := webtest.Request("POST", "/api/session/verify", nil, map[string]string{"email": string(e), "code": "000000"}, "")
			for b.Loop() {
				b.StopTimer()
				f.later(time.Hour) // a new hour: the code limit allows another code, whose attempts start again
				f.do(b, ask)
				b.StartTimer()
				f.do(b, try)
			}
		})
	}
}

// The code key is read on first need; while Secrets Manager cannot give it, asking for a code or
// entering one answers "try again" for every address alike, and nothing is stored or sent.
func TestWithoutTheCodeKeySignInAsksToTryAgainAndStoresNothing(t *testing.T) {
	f := newFixture(t)
	f.account(t, "known@example.com", "Known Person")
	before, sent := f.s.changes(), len(f.mail.sent)
	f.h.CodeKey = fixedKey("")
	for _, e := range []string{"known@example.com", "nobody@example.com"} {
		for _, r := range []web.Request{
			webtest.Request("POST", "/api/session", nil, map[string]string{"email": e}, ""),
			webtest.Request("POST", "/api/session/verify", nil, map[string]string{"email": e, "code": "123456"}, ""),
		} {
			if resp := f.do(t, r); resp.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("%s %s for %s: %d %s", r.HTTPMethod, r.Resource, e, resp.StatusCode, resp.Body)
			}
		}
	}
	if f.s.changes() != before || len(f.mail.sent) != sent {
		t.Errorf("stored %d, sent %d while the key was away", f.s.changes()-before, len(f.mail.sent)-sent)
	}
}
