package setting

import (
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/staff"
)

// Reader reads settings and keeps every problem it finds, so that one failed start-up names all of
// them. A reader returns the zero value for a setting it could not read; Check stops start-up then.
type Reader struct {
	lookup func(string) (string, bool)
	errs   []error
}

// Env reads the function's environment.
func Env() *Reader { return From(os.LookupEnv) }

// From reads settings through lookup; From(nil) reads every setting's default (tests).
func From(lookup func(string) (string, bool)) *Reader {
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	return &Reader{lookup: lookup}
}

// Check stops start-up, naming every setting that is missing or wrong, if there is one. Lambda
// reports the panic as the function's init error.
func (r *Reader) Check() {
	if err := r.Err(); err != nil {
		panic(err)
	}
}

// Err is every problem found so far, or nil.
func (r *Reader) Err() error {
	if len(r.errs) == 0 {
		return nil
	}
	return fmt.Errorf("setting: cannot start: %w", errors.Join(r.errs...))
}

func (r *Reader) fail(n Name, format string, a ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s %s", n, fmt.Sprintf(format, a...)))
}

// raw is the setting's value, or its default when unset; "" (and a problem noted) when it has
// neither.
func (r *Reader) raw(n Name) string {
	v, _ := r.lookup(string(n))
	if v = strings.TrimSpace(v); v == "" {
		v = n.Default()
	}
	if v == "" {
		r.fail(n, "is not set")
	}
	return v
}

// Required is a setting that must be set.
func (r *Reader) Required(n Name) string { return r.raw(n) }

// Optional is a setting that may be left unset ("").
func (r *Reader) Optional(n Name) string {
	v, _ := r.lookup(string(n))
	return strings.TrimSpace(v)
}

// Bool is a flag: "true", "1" and the like turn it on; unset leaves it off.
func (r *Reader) Bool(n Name) bool {
	v := r.Optional(n)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(n, "is %q; want true or false", v)
	}
	return b
}

// Int is a positive whole number.
func (r *Reader) Int(n Name) int {
	v := r.raw(n)
	if v == "" {
		return 0
	}
	i, err := strconv.Atoi(v)
	if err != nil || i < 1 {
		r.fail(n, "is %q; want a whole number above 0", v)
		return 0
	}
	return i
}

// Float is a positive number.
func (r *Reader) Float(n Name) float64 {
	v := r.raw(n)
	if v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f > 0) || math.IsInf(f, 1) {
		r.fail(n, "is %q; want a number above 0", v)
		return 0
	}
	return f
}

// Duration is a positive Go duration such as "10m" or "3s".
func (r *Reader) Duration(n Name) time.Duration {
	v := r.raw(n)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(n, "is %q; want a duration above 0 such as 10m or 3s", v)
		return 0
	}
	return d
}

// Days is a positive whole number of days.
func (r *Reader) Days(n Name) time.Duration {
	return time.Duration(r.Int(n)) * 24 * time.Hour
}

// Pattern is a Go regular expression, anchored so that it must match the whole value.
func (r *Reader) Pattern(n Name) *regexp.Regexp {
	v := r.raw(n)
	if v == "" {
		return nil
	}
	re, err := Anchor(v)
	if err != nil {
		r.fail(n, "is not a regular expression: %v", err)
	}
	return re
}

// Anchor compiles p so that it must match a whole string. A ^ or $ already in p does no harm: in a
// single line they assert what the added anchors do. Trimming them instead would break a pattern
// ending in an escaped \$.
func Anchor(p string) (*regexp.Regexp, error) {
	return regexp.Compile(`^(?:` + p + `)$`)
}

// Emails is a comma-separated list of at least one address, normalised. A bad entry is named by
// its position, not its text: an address is personal data and this message is logged.
func (r *Reader) Emails(n Name) []access.Email {
	v := r.raw(n)
	if v == "" {
		return nil
	}
	list := access.EmailList(v)
	for i, e := range list {
		if at := strings.IndexByte(string(e), '@'); at < 1 || at == len(e)-1 || strings.ContainsAny(string(e), " \t<>") {
			r.fail(n, "entry %d is not an email address", i+1)
		}
	}
	if len(list) == 0 {
		r.fail(n, "names no address")
	}
	return list
}

// Groups is a staff group-to-role map, "group=role,..." (staff.ParseGroups).
func (r *Reader) Groups(n Name) staff.Groups {
	v := r.raw(n)
	if v == "" {
		return nil
	}
	g, err := staff.ParseGroups(v)
	if err != nil {
		r.fail(n, "%v", err)
	}
	return g
}
