package page

import (
	"net/url"
	"reflect"
	"testing"
	"time"
)

func TestReadDate(t *testing.T) {
	today := time.Date(2026, 12, 5, 15, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		day, month, year string
		want, problem    string
		bad              []string
	}{
		{"27", "3", "1950", "1950-03-27", "", nil},
		{" 07 ", "03", "1950", "1950-03-07", "", nil},
		{"4", "12", "2026", "2026-12-04", "", nil},
		{"", "", "", "", "Enter the client's date of birth", nil},
		{"27", "", "1950", "", "The client's date of birth must include a month", []string{"month"}},
		{"", "3", "", "", "The client's date of birth must include a day and a year", []string{"day", "year"}},
		{"27", "3", "50", "", "Year must include 4 numbers", []string{"year"}},
		{"31", "2", "1950", "", "The client's date of birth must be a real date", nil},
		{"0", "3", "1950", "", "The client's date of birth must be a real date", nil},
		{"27", "13", "1950", "", "The client's date of birth must be a real date", nil},
		{"x", "3", "1950", "", "The client's date of birth must be a real date", nil},
		{"5", "12", "2026", "", "The client's date of birth must be in the past", nil},
		{"27", "3", "2990", "", "The client's date of birth must be in the past", nil},
	} {
		form := url.Values{"dob-day": {c.day}, "dob-month": {c.month}, "dob-year": {c.year}}
		d := Date{ID: "dob"}
		got := ReadDate(form, &d, "the client's date of birth", today)
		if got != c.want || d.Error != c.problem || !reflect.DeepEqual(d.Bad, c.bad) {
			t.Errorf("%q/%q/%q: %q, %q %v; want %q, %q %v", c.day, c.month, c.year, got, d.Error, d.Bad, c.want, c.problem, c.bad)
		}
		if d.Month != c.month && c.month != "03" {
			t.Errorf("the month typed is not kept: %q", d.Month)
		}
	}
}
