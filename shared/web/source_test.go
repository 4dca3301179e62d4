package web

import "testing"

func TestSourceIsAnIPv4AddressOrAnIPv6Slash64(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.10":                       "192.0.2.10",
		"::ffff:192.0.2.10":                "192.0.2.10",
		"2001:db8:1:2:aaaa:bbbb:cccc:dddd": "2001:db8:1:2::/64",
		"2001:db8:1:2::1":                  "2001:db8:1:2::/64",
		"2001:DB8:1:2:ffff::9":             "2001:db8:1:2::/64",
		"2001:db8:1:3::1":                  "2001:db8:1:3::/64",
		"fe80::1%eth0":                     "fe80::/64",
		"":                                 "unknown",
		"not an address":                   "unknown",
		"192.0.2.300":                      "unknown",
	} {
		if got := SourceOf(in); got != want {
			t.Errorf("SourceOf(%q) = %q; want %q", in, got, want)
		}
	}
	r := Request{}
	r.RequestContext.Identity.SourceIP = "2001:db8::7"
	if got := Source(r); got != "2001:db8::/64" {
		t.Errorf("Source = %q", got)
	}
}
