package mail

import (
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/brand"
)

var bases = Bases{Portal: "https://portal.example", Brand: brand.Sample()}

// sampleFooter is how every email's text part ends for the sample council.
const sampleFooter = "\n\n-- \nExample Borough Council\nClient Finance Portal\n\nContact the Client Finance team\n" +
	"Telephone: 020 7946 0000\nMonday to Friday, 9am to 5pm (except bank holidays)\n" +
	"Email: clientfinance@example.gov.uk (or reply to this email)\n"

// full is a message with every value set, so that any template renders.
var full = Message{Request: "r1", Relationship: access.Deputy, FileName: "lpa.pdf", Reason: "not the right LPA", Text: "Send the order",
	Passkey: "My phone", Link: &Link{Purpose: Invitation, TTL: 7 * 24 * time.Hour}}

var all = []Template{RequestReceived, ReadyForReview, MoreInformation, RequestRejected, Approved, ApprovedAccount, Verification, NewDocuments, UploadProblem, AccessEnded, StatusLink, Withdrawn, Expired, PasskeyAdded, PasskeyRemoved}

func TestEveryTemplateRendersBothParts(t *testing.T) {
	for _, name := range all {
		m := full
		m.Template = name
		r, err := Render(m, "https://api.example/review/tok", bases)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.Subject == "" || !strings.HasSuffix(r.Text, "\n") || !strings.Contains(r.HTML, "<p>") || !strings.HasPrefix(r.HTML, "<!doctype html>") {
			t.Errorf("%s: %+v", name, r)
		}
	}
	if r, err := SignIn("123456", bases.Brand); err != nil || !strings.Contains(r.Text, "is 123456") || !strings.Contains(r.HTML, "123456") {
		t.Errorf("sign in: %+v %v", r, err)
	}
}

// TestWordingIsAsItWas pins the words of the emails people follow links from.
func TestWordingIsAsItWas(t *testing.T) {
	for _, c := range []struct {
		m    Message
		link string
		want string
	}{
		{Message{Template: ReadyForReview, Request: "r1", Reference: "CFP-7K3M-9Q2X", Relationship: access.Deputy}, "",
			"An access request (CFP-7K3M-9Q2X, relationship: deputy (Court of Protection, property and affairs)) is ready for review. Its evidence has passed the upload checks.\n\n" +
				"Sign in to the staff workspace to review it: https://portal.example/staff/requests/r1\n"},
		{Message{Template: MoreInformation, Request: "r1", Text: "Send page 2"}, "https://portal.example/m?token=t",
			"We need more information before we can decide on your request r1:\n\nSend page 2\n\nOpen this link to upload more documents: https://portal.example/m?token=t\n"},
		{Message{Template: Approved, Request: "r1"}, "https://portal.example/register?invitation=t",
			"Your request r1 was approved. To see the client's documents, create your account:\n\nhttps://portal.example/register?invitation=t\n\n" +
				"The link works for 14 days. After you register we will send you a link to confirm your email address.\n"},
		{Message{Template: Withdrawn, Request: "r1", Reference: "CFP-7K3M-9Q2X"}, "",
			"Your request CFP-7K3M-9Q2X has been withdrawn. The Client Finance team will not review it, and the documents you uploaded for it will be deleted.\n\n" +
				"If you did not withdraw it, contact the Client Finance team. You can make a new request at any time.\n"},
		{Message{Template: Expired, Request: "r1", Reference: "CFP-7K3M-9Q2X", Text: "28 days"}, "",
			"Your request CFP-7K3M-9Q2X has expired: we had not heard from you for 28 days. The Client Finance team will not review it, and the documents you uploaded for it have been deleted.\n\n" +
				"If you still need to see the client's documents, you can make a new request at any time: https://portal.example\n"},
		{Message{Template: NewDocuments}, "", "There are new documents for you to view in the Client Finance Portal.\n\nSign in to see them: https://portal.example\n"},
		{Message{Template: NewDocuments, Replaced: true}, "", "There are new documents for you to view in the Client Finance Portal.\n\n" +
			"A document you could see before has been replaced with a corrected one.\n\nSign in to see them: https://portal.example\n"},
		{Message{Template: UploadProblem, Request: "r1", FileName: "a.pdf", Reason: "The file is empty."}, "",
			"We could not accept the file a.pdf for your request r1: The file is empty.\n\nPlease upload it again as a PDF, JPEG or PNG of at most 10 MiB from the portal.\n"},
	} {
		r, err := Render(c.m, c.link, bases)
		if c.want = strings.TrimSuffix(c.want, "\n") + sampleFooter; err != nil || r.Text != c.want {
			t.Errorf("%s: %v\n got %q\nwant %q", c.m.Template, err, r.Text, c.want)
		}
	}
}

func TestValuesAreEscapedInHTMLAndLinksShownInFull(t *testing.T) {
	r, err := Render(Message{Template: RequestRejected, Request: "r1", Reason: `<script>alert(1)</script>`}, "", bases)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.HTML, "<script>") || !strings.Contains(r.HTML, "&lt;script&gt;") || !strings.Contains(r.Text, "<script>") {
		t.Errorf("escaping: %s", r.HTML)
	}
	r, _ = Render(Message{Template: ReadyForReview, Request: "r", Relationship: access.Deputy}, "", bases)
	if !strings.Contains(r.Text, "https://portal.example/staff/requests/r") || !strings.Contains(r.HTML, "https://portal.example/staff/requests/r") {
		t.Errorf("link not shown in full: %s", r.Text)
	}
}

func TestMissingValuesAndUnknownTemplatesAreErrors(t *testing.T) {
	if _, err := Render(Message{Template: RequestRejected, Request: "r1"}, "", bases); err == nil {
		t.Error("missing Reason rendered")
	}
	if _, err := Render(Message{Template: MoreInformation, Request: "r", Text: "Send page 2"}, "", bases); err == nil {
		t.Error("a link email rendered without its link")
	}
	if _, err := Render(Message{Template: ReadyForReview, Relationship: access.Deputy}, "", bases); err == nil {
		t.Error("a review email rendered without its request")
	}
	if _, err := Render(Message{Template: PasskeyAdded}, "", bases); err == nil {
		t.Error("a passkey email rendered without the passkey's name")
	}
	if _, err := Render(Message{Template: "nope"}, "", bases); err == nil {
		t.Error("unknown template rendered")
	}
}

// TestEveryEventHasItsEmail: the outbox holds what the events say, with the links they ask for.
func TestEveryEventHasItsEmail(t *testing.T) {
	for _, c := range []struct {
		e    access.Event
		want Message
	}{
		{access.RequestReceived{Request: "r1", Reference: "CFP-7K3M-9Q2X", To: "a@x.example"},
			Message{To: "a@x.example", Template: RequestReceived, Request: "r1", Reference: "CFP-7K3M-9Q2X", Link: &Link{Status, "r1", access.StatusLink}}},
		{access.StatusLinkRequested{Request: "r1", Reference: "CFP-7K3M-9Q2X", To: "a@x.example"},
			Message{To: "a@x.example", Template: StatusLink, Request: "r1", Reference: "CFP-7K3M-9Q2X", Link: &Link{Status, "r1", access.StatusLink}}},
		// No token for staff: the link is the request's workspace page, which the staff session authorises.
		{access.ReviewRequested{Request: "r1", Reference: "CFP-7K3M-9Q2X", To: "s@x.example", Relationship: access.Deputy},
			Message{To: "s@x.example", Template: ReadyForReview, Request: "r1", Reference: "CFP-7K3M-9Q2X", Relationship: access.Deputy}},
		{access.RequestApproved{Request: "r1", To: "a@x.example"},
			Message{To: "a@x.example", Template: Approved, Request: "r1", Link: &Link{Invitation, "r1", access.InvitationLink}}},
		{access.RequestApproved{Request: "r1", To: "a@x.example", HasAccount: true}, Message{To: "a@x.example", Template: ApprovedAccount, Request: "r1"}},
		{access.RequestRejected{Request: "r1", To: "a@x.example", Reason: "no"}, Message{To: "a@x.example", Template: RequestRejected, Request: "r1", Reason: "no"}},
		{access.InformationRequested{Request: "r1", To: "a@x.example", Message: "more"},
			Message{To: "a@x.example", Template: MoreInformation, Request: "r1", Text: "more", Link: &Link{MoreInfo, "r1", access.MoreInfoLink}}},
		{access.RequestWithdrawn{Request: "r1", Reference: "CFP-7K3M-9Q2X", To: "a@x.example"}, Message{To: "a@x.example", Template: Withdrawn, Request: "r1", Reference: "CFP-7K3M-9Q2X"}},
		{access.RequestExpired{Request: "r1", Reference: "CFP-7K3M-9Q2X", To: "a@x.example", After: 28 * 24 * time.Hour},
			Message{To: "a@x.example", Template: Expired, Request: "r1", Reference: "CFP-7K3M-9Q2X", Text: "28 days"}},
		{access.AccessEnded{Request: "r1", To: "a@x.example", Reason: "died"}, Message{To: "a@x.example", Template: AccessEnded, Request: "r1", Reason: "died"}},
		{access.PasskeyAdded{To: "a@x.example", Name: "My phone"}, Message{To: "a@x.example", Template: PasskeyAdded, Passkey: "My phone"}},
		{access.PasskeyRemoved{To: "a@x.example", Name: "My phone"}, Message{To: "a@x.example", Template: PasskeyRemoved, Passkey: "My phone"}},
		{access.EvidenceRefused{Request: "r1", To: "a@x.example", FileName: "f.pdf", Reason: "empty"},
			Message{To: "a@x.example", Template: UploadProblem, Request: "r1", FileName: "f.pdf", Reason: "empty"}},
	} {
		got, ok := For(c.e)
		if !ok || got.ID == "" {
			t.Fatalf("%T: no email", c.e)
		}
		got.ID = ""
		if got.Link != nil && c.want.Link != nil && *got.Link == *c.want.Link {
			got.Link, c.want.Link = nil, nil
		}
		if got != c.want {
			t.Errorf("%T:\n got %+v\nwant %+v", c.e, got, c.want)
		}
		if _, err := Render(got, "https://link.example/x", bases); got.Link == nil && err != nil {
			t.Errorf("%T: %v", c.e, err)
		}
	}
}

// The "request received" email gives the short reference, not the internal id, and the status
// page's link; without a reference (a request made before references) it gives the id.
func TestReceivedGivesTheShortReference(t *testing.T) {
	m, _ := For(access.RequestReceived{Request: "r1", Reference: "CFP-7K3M-9Q2X", To: "a@x.example"})
	link := bases.URL(*m.Link, "tok")
	r, err := Render(m, link, bases)
	if err != nil || !strings.Contains(r.Text, "Your reference is CFP-7K3M-9Q2X.") || !strings.Contains(r.Text, "https://portal.example/access-requests/r1?token=tok") {
		t.Errorf("%v %s", err, r.Text)
	}
	m.Reference = ""
	if r, _ := Render(m, "", bases); !strings.Contains(r.Text, "Your reference is r1.") {
		t.Errorf("without a reference: %s", r.Text)
	}
}
