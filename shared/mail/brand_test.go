package mail

import (
	"regexp"
	"strings"
	"testing"

	"github.com/council/cfp/shared/batch"
	"github.com/council/cfp/shared/brand"
)

// A council that is not the sample one, so a test sees configured values, not defaults.
var otherCouncil = brand.Brand{
	Council: "Northshire County Council", Service: "Care Finance Online", Phone: "01632 960123",
	Email: "carefinance@northshire.example", OpeningHours: "Tuesday to Thursday, 10am to 4pm",
	LogoURL: "/assets/logo.png", PrivacyURL: "/privacy",
}

// everyEmail renders each email the system sends, sign-in code and batch report included.
func everyEmail(t *testing.T, b Bases) map[string]Rendered {
	t.Helper()
	out := map[string]Rendered{}
	for _, name := range all {
		m := full
		m.Template = name
		r, err := Render(m, "https://portal.example/x?token=tok", b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[string(name)] = r
	}
	r, err := Render(BatchReportOf("support@council.example", batch.ID{System: "billing", Name: "run-7"}, batch.Tally{Rows: 1}), "", b)
	if err != nil {
		t.Fatalf("batch report: %v", err)
	}
	out[string(BatchReport)] = r
	if out[string(SignInCode)], err = SignIn("123456", b.Brand); err != nil {
		t.Fatalf("sign-in code: %v", err)
	}
	return out
}

// Every email, in both parts, names the council and the service from the configuration and ends
// by saying how to contact the team: telephone, opening hours and email.
func TestEveryEmailNamesTheCouncilAndEndsWithHowToContactTheTeam(t *testing.T) {
	b := Bases{Portal: "https://portal.example", Brand: otherCouncil}
	wantText := "\n\n-- \nNorthshire County Council\nCare Finance Online\n\nContact the Client Finance team\n" +
		"Telephone: 01632 960123\nTuesday to Thursday, 10am to 4pm\nEmail: carefinance@northshire.example (or reply to this email)\n"
	for name, r := range everyEmail(t, b) {
		if !strings.HasSuffix(r.Text, wantText) || strings.Count(r.Text, "\n-- \n") != 1 {
			t.Errorf("%s: the text part does not end with the council's footer:\n%s", name, r.Text)
		}
		body, foot, ok := strings.Cut(r.HTML, "<hr")
		if !ok || !strings.Contains(body, "<p style=\"font-weight:bold\">Northshire County Council<br>Care Finance Online</p>") {
			t.Errorf("%s: the HTML part does not open with the council and service:\n%s", name, r.HTML)
		}
		for _, want := range []string{"Contact the Client Finance team", "Telephone: 01632 960123", "Tuesday to Thursday, 10am to 4pm",
			`<a href="mailto:carefinance@northshire.example">carefinance@northshire.example</a> (or reply to this email)`} {
			if !strings.Contains(foot, want) {
				t.Errorf("%s: the HTML footer lacks %q:\n%s", name, want, foot)
			}
		}
		if strings.Contains(r.Text+r.HTML, "Example Borough") || strings.Contains(r.Text+r.HTML, "Client Finance Portal") {
			t.Errorf("%s: the sample council shows in a configured council's email", name)
		}
	}
}

// The footer adds nothing about the person and nothing that tracks: no image (the logo stays off
// emails), and the only link the HTML part makes is the team's mailto.
func TestTheFooterAddsNoTrackingAndNoPersonalData(t *testing.T) {
	href := regexp.MustCompile(`(?i)<(img|a)\b[^>]*>`)
	for name, r := range everyEmail(t, Bases{Portal: "https://portal.example", Brand: otherCouncil}) {
		tags := href.FindAllString(r.HTML, -1)
		if len(tags) != 1 || tags[0] != `<a href="mailto:carefinance@northshire.example">` || strings.Contains(r.HTML, "logo") {
			t.Errorf("%s: tags %q", name, tags)
		}
		_, foot, _ := strings.Cut(r.Text, "\n-- \n")
		for _, personal := range []string{string(full.Request), full.FileName, full.Reason, "support@council.example", "123456"} {
			if strings.Contains(foot, personal) {
				t.Errorf("%s: the footer holds %q", name, personal)
			}
		}
	}
}

// The new-documents email still says only "sign in to see it", with the configured service's name.
func TestNewDocumentsSaysOnlySignInToSeeThem(t *testing.T) {
	r, err := Render(Message{Template: NewDocuments}, "", Bases{Portal: "https://portal.example", Brand: otherCouncil})
	body, _, _ := strings.Cut(r.Text, "\n-- \n")
	if err != nil || body != "There are new documents for you to view in the Care Finance Online.\n\nSign in to see them: https://portal.example\n" {
		t.Errorf("%v %q", err, body)
	}
}

// An email with no council to sign it is not sent: each value the footer needs is an error when
// empty, for queued emails and the sign-in code alike.
func TestAnEmailWithoutTheBrandIsNotRendered(t *testing.T) {
	for _, blank := range []func(*brand.Brand){
		func(b *brand.Brand) { b.Council = "" }, func(b *brand.Brand) { b.Service = "" }, func(b *brand.Brand) { b.Phone = " " },
		func(b *brand.Brand) { b.OpeningHours = "" }, func(b *brand.Brand) { b.Email = "" },
	} {
		b := otherCouncil
		blank(&b)
		if r, err := Render(Message{Template: NewDocuments}, "", Bases{Portal: "https://portal.example", Brand: b}); err == nil || !strings.Contains(err.Error(), "brand") || r != (Rendered{}) {
			t.Errorf("%+v: rendered %v %+v", b, err, r)
		}
		if r, err := SignIn("123456", b); err == nil || r != (Rendered{}) {
			t.Errorf("%+v: sign-in code rendered: %v", b, err)
		}
	}
}
