package page

import (
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// ReadDate reads a Date input's three boxes (d.ID-day, -month, -year) from a submitted form into d,
// so the page shows again what was typed, and checks that they make a real date before today. It
// returns the date as YYYY-MM-DD, or "" with d.Error and d.Bad set in the GOV.UK date input
// pattern's words. what names the date in lower case: "the client's date of birth".
func ReadDate(form url.Values, d *Date, what string, today time.Time) string {
	d.Day = strings.TrimSpace(form.Get(d.ID + "-day"))
	d.Month = strings.TrimSpace(form.Get(d.ID + "-month"))
	d.Year = strings.TrimSpace(form.Get(d.ID + "-year"))
	d.Error, d.Bad = "", nil

	var missing []string
	for _, p := range [][2]string{{"day", d.Day}, {"month", d.Month}, {"year", d.Year}} {
		if p[1] == "" {
			missing = append(missing, p[0])
		}
	}
	switch {
	case len(missing) == 3:
		d.Error = "Enter " + what
		return ""
	case len(missing) > 0:
		d.Error, d.Bad = capital(what)+" must include a "+strings.Join(missing, " and a "), missing
		return ""
	}
	day, dayErr := strconv.Atoi(d.Day)
	month, monthErr := strconv.Atoi(d.Month)
	year, yearErr := strconv.Atoi(d.Year)
	if yearErr != nil || len(d.Year) != 4 {
		d.Error, d.Bad = "Year must include 4 numbers", []string{"year"}
		return ""
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if dayErr != nil || monthErr != nil || t.Day() != day || int(t.Month()) != month {
		// time.Date normalises 31 February into March: a date that moved was not real.
		d.Error = capital(what) + " must be a real date"
		return ""
	}
	y, m, dd := today.Date()
	if !t.Before(time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)) {
		d.Error = capital(what) + " must be in the past"
		return ""
	}
	return t.Format(time.DateOnly)
}

func capital(s string) string {
	for i, r := range s {
		return string(unicode.ToUpper(r)) + s[i+len(string(r)):]
	}
	return s
}
