package setting

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/shared/access"
)

func env(vars map[string]string) *Reader {
	return From(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
}

func TestUnsetSettingsTakeTheirOneDefault(t *testing.T) {
	r := env(nil)
	if got := r.Float(MailRate); got != DefaultMailRate {
		t.Errorf("MailRate = %v; want the default %v (it was 1/s when unset)", got, DefaultMailRate)
	}
	if got := r.Int(IPRequestLimit); got != DefaultIPRequestLimit {
		t.Errorf("IPRequestLimit = %d", got)
	}
	if got := r.Duration(RequestExpiry); got != 28*24*time.Hour {
		t.Errorf("RequestExpiry = %v; want four weeks", got)
	}
	if got := r.Days(EvidenceDays); got != DefaultEvidenceDays*24*time.Hour {
		t.Errorf("EvidenceDays = %v", got)
	}
	if q, m := r.Duration(NoticeQuiet), r.Duration(NoticeMaxDelay); q != DefaultNoticeQuiet || m != DefaultNoticeMaxDelay {
		t.Errorf("notice durations %v %v", q, m)
	}
	if re := r.Pattern(ClientRefFormat); re == nil || !re.MatchString("123456") || re.MatchString("12345") {
		t.Errorf("client reference pattern %v", re)
	}
	if r.Bool(InsecureCookies) || r.Optional(MailConfigSet) != "" {
		t.Error("an unset flag or optional setting has a value")
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestSetValuesAreRead(t *testing.T) {
	r := env(map[string]string{"MAIL_MAX_PER_SECOND": "2.5", "NOTICE_QUIET_PERIOD": "3s", "INSECURE_COOKIES": "true",
		"EVIDENCE_RETENTION_DAYS": "3", "REVIEWERS": " A@Council.example, ,b@council.example", "TABLE_NAME": "cfp"})
	if r.Float(MailRate) != 2.5 || r.Duration(NoticeQuiet) != 3*time.Second || !r.Bool(InsecureCookies) ||
		r.Days(EvidenceDays) != 72*time.Hour || r.Required(TableName) != "cfp" {
		t.Error("a set value was not read")
	}
	if got := r.Emails(Reviewers); !slices.Equal(got, []access.Email{"a@council.example", "b@council.example"}) {
		t.Errorf("Reviewers = %v", got)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
}

// Every problem is reported at once, each naming its variable; a bad value never falls back to the
// default.
func TestEveryBadSettingIsNamedTogether(t *testing.T) {
	r := env(map[string]string{"MAIL_MAX_PER_SECOND": "ten", "NOTICE_MAX_DELAY": "-1m", "REQUEST_LIMIT_PER_IP_HOUR": "0",
		"INSECURE_COOKIES": "yes please", "CLIENT_REFERENCE_PATTERN": "[0-9", "REVIEWERS": "someone.example, b@x.example",
		"EVIDENCE_RETENTION_DAYS": "1.5"})
	r.Required(TableName)
	r.Float(MailRate)
	r.Duration(NoticeMaxDelay)
	r.Int(IPRequestLimit)
	r.Bool(InsecureCookies)
	r.Pattern(ClientRefFormat)
	r.Emails(Reviewers)
	r.Days(EvidenceDays)
	if inf := env(map[string]string{"MAIL_MAX_PER_SECOND": "Inf"}); inf.Float(MailRate) != 0 || inf.Err() == nil {
		t.Error("an infinite rate was accepted")
	}
	err := r.Err()
	if err == nil {
		t.Fatal("no error")
	}
	for _, n := range []Name{TableName, MailRate, NoticeMaxDelay, IPRequestLimit, InsecureCookies, ClientRefFormat, Reviewers, EvidenceDays} {
		if !strings.Contains(err.Error(), string(n)) {
			t.Errorf("the error does not name %s: %v", n, err)
		}
	}
	if strings.Contains(err.Error(), "someone.example") {
		t.Errorf("the error repeats an address: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("Check did not stop start-up")
		}
	}()
	r.Check()
}

func TestAnEmptyListOfReviewersIsAnError(t *testing.T) {
	r := env(map[string]string{"REVIEWERS": " , "})
	if r.Emails(Reviewers); r.Err() == nil {
		t.Error("a list with no address was accepted")
	}
}

// The client reference pattern means the same wherever it is read: the whole reference must
// match, whether or not the configured pattern carries its own anchors.
func TestPatternsMatchTheWholeValue(t *testing.T) {
	for _, p := range []string{`[0-9]{6,10}`, `^[0-9]{6,10}$`, `^[0-9]{6,10}`, `[0-9]{6,10}$`} {
		re := env(map[string]string{"CLIENT_REFERENCE_PATTERN": p}).Pattern(ClientRefFormat)
		for ref, want := range map[string]bool{"123456": true, "1234567890": true, "12345": false, "12345678901": false, "x123456": false, "123456x": false, "123456\n": false} {
			if re.MatchString(ref) != want {
				t.Errorf("pattern %q on %q: %v; want %v", p, ref, !want, want)
			}
		}
	}
	// An alternation is anchored as a whole, not only its first and last branches.
	re, err := Anchor(`[0-9]{6}|C[0-9]{4}`)
	if err != nil || re.MatchString("1234567") || re.MatchString("xC1234") || !re.MatchString("C1234") {
		t.Errorf("alternation %v %v", re, err)
	}
	if re, err := Anchor(`[0-9]+\$`); err != nil || !re.MatchString("12$") {
		t.Errorf("an escaped dollar at the end: %v %v", re, err)
	}
}

// Every default reads back through its own reader.
func TestDefaultsAreValidValues(t *testing.T) {
	r := env(nil)
	r.Pattern(ClientRefFormat)
	r.Duration(NoticeQuiet)
	r.Duration(NoticeMaxDelay)
	r.Float(MailRate)
	r.Int(IPRequestLimit)
	r.Days(EvidenceDays)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if TableName.Default() != "" || MailRate.Default() != "10" || NoticeQuiet.Default() != "10m0s" {
		t.Errorf("defaults %q %q %q", TableName.Default(), MailRate.Default(), NoticeQuiet.Default())
	}
}
