package web

import "net/netip"

// Source is who a request comes from, for rate limits: the gateway's source IP, an IPv4 address as
// it is and an IPv6 address as its /64, the block one household, library or care home is given
// (a single IPv6 address is free to change within it). An IPv4 address written as IPv6
// (::ffff:192.0.2.1) is the IPv4 address. Anything unreadable is "unknown", one source for all such
// requests, so that a malformed source address buys no limit of its own.
func Source(r Request) string { return SourceOf(SourceIP(r)) }

// SourceOf is Source for an address as text.
func SourceOf(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "unknown"
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}
