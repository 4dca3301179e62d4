package main

import (
	"strings"
	"testing"
	"time"
)

func TestEveryPageIsWhole(t *testing.T) {
	h, f, _ := setup()
	pages := []string{get(h, goodToken).Body, get(h, "nope").Body, post(h, goodToken, signed("action", "approve")).Body}
	f.req.Status = "approved"
	pages = append(pages, post(h, goodToken, signed("action", "end_access")).Body)
	for _, p := range pages {
		if strings.Contains(p, "{{") || strings.Contains(p, "}}") || !strings.HasSuffix(strings.TrimSpace(p), "</html>") {
			t.Errorf("a page is not whole: %.300s", p)
		}
	}
}

func TestUKTime(t *testing.T) {
	cases := map[string]string{
		"2026-03-29T00:59:00Z": "29 March 2026 at 12:59am", // GMT until 01:00 UTC on the last Sunday of March
		"2026-03-29T01:00:00Z": "29 March 2026 at 2:00am",  // then BST
		"2026-07-01T12:00:00Z": "1 July 2026 at 1:00pm",
		"2026-10-25T00:59:00Z": "25 October 2026 at 1:59am", // BST until 01:00 UTC on the last Sunday of October
		"2026-10-25T01:00:00Z": "25 October 2026 at 1:00am", // then GMT
		"2026-12-25T09:30:00Z": "25 December 2026 at 9:30am",
	}
	for in, want := range cases {
		tm, _ := time.Parse(time.RFC3339, in)
		if got := at(tm); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}
