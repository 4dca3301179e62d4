package mail

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/council/cfp/shared/brand"
)

// Rendered is an email ready for SES.
type Rendered struct{ Subject, Text, HTML string }

// content is one email: a subject and paragraphs of plain text. The text part is the paragraphs;
// the HTML part (page.templ) shows the same paragraphs, escaped. Links are shown in full.
type content struct {
	subject    string
	paragraphs []string
}

// Render makes the email a queued message asks for. link is the minted link's URL ("" when the
// message has none). An unknown template or a missing value, the brand's included, is an error: an
// email with a hole in it is not sent.
func Render(m Message, link string, b Bases) (Rendered, error) {
	c, missing := compose(m, link, b)
	if c.subject == "" {
		return Rendered{}, fmt.Errorf("mail: no template %q", m.Template)
	}
	if missing != "" {
		return Rendered{}, fmt.Errorf("mail: %s: no value for %s", m.Template, missing)
	}
	return c.render(b.Brand)
}

// SignIn is the sign-in code email. The code is a secret: this email is sent at once, never queued.
func SignIn(code string, b brand.Brand) (Rendered, error) {
	return content{"Your sign-in code", []string{
		"Your code to sign in to the " + b.Service + " is " + code,
		"It works once, for 10 minutes. If you did not try to sign in, ignore this email: nobody can sign in without the code.",
	}}.render(b)
}

// render writes both parts, each ending with the same footer. The footer names the council and
// the service and says how to reach the Client Finance team (the GOV.UK contact pattern the site's
// pages use); it adds nothing about the person, and no image or tracked link: the logo stays off
// emails, as a remote image is blocked by most mail programs and tells the sender it was opened.
func (c content) render(b brand.Brand) (Rendered, error) {
	if missing := incomplete(b); missing != "" {
		return Rendered{}, fmt.Errorf("mail: %s: no value for the brand's %s", c.subject, missing)
	}
	var html strings.Builder
	if err := page(b, c.paragraphs).Render(context.Background(), &html); err != nil {
		return Rendered{}, err
	}
	text := strings.TrimSpace(strings.Join(c.paragraphs, "\n\n")) + "\n\n" + footer(b)
	return Rendered{Subject: c.subject, Text: text, HTML: html.String()}, nil
}

// Team is whom the footer tells people to contact, as the site's contact page does.
const Team = "Client Finance team"

// footer is the text part's signature, after the conventional "-- " line that mail programs use to
// tell a signature from the message.
func footer(b brand.Brand) string {
	return "-- \n" + b.Council + "\n" + b.Service + "\n\n" +
		"Contact the " + Team + "\n" +
		"Telephone: " + b.Phone + "\n" +
		b.OpeningHours + "\n" +
		"Email: " + b.Email + " (or reply to this email)\n"
}

// incomplete names the first value of the brand an email needs that is empty.
func incomplete(b brand.Brand) string {
	for _, f := range []struct{ name, v string }{
		{"Council", b.Council}, {"Service", b.Service}, {"Phone", b.Phone}, {"OpeningHours", b.OpeningHours}, {"Email", b.Email},
	} {
		if strings.TrimSpace(f.v) == "" {
			return f.name
		}
	}
	return ""
}

// compose writes the email of a message in words, and names the first value it lacks.
func compose(m Message, link string, b Bases) (c content, missing string) {
	ref := string(m.Request)
	if m.Reference != "" {
		ref = string(m.Reference)
	}
	need := func(name, v string) {
		if v == "" && missing == "" {
			missing = name
		}
	}
	switch m.Template {
	case RequestReceived:
		need("Reference", ref)
		p := []string{
			"We have received your request for access to a client's financial documents. Your reference is " + ref + ".",
			"If you have not yet uploaded your documents, go back to the portal to finish your request. The Client Finance team will check your request and may phone you. We will email you when we have decided.",
		}
		if link != "" {
			p = append(p, "See where your request is, and add documents if we ask for them: "+link, "The link works for 30 days. Do not forward it.")
		}
		return content{"We have received your request", p}, missing
	case StatusLink:
		need("Reference", ref)
		need("Link", link)
		return content{"Your link to your request", []string{
			"You asked for a new link to your request " + ref + ". Open it to see where your request is:",
			link,
			"The link works for 30 days. Do not forward it. If you did not ask for it, you can ignore this email.",
		}}, missing
	case ReadyForReview:
		need("Reference", ref)
		need("Request", string(m.Request))
		return content{"Access request ready for review", []string{
			"An access request (" + ref + ", relationship: " + m.Relationship.Short() + ") is ready for review. Its evidence has passed the upload checks.",
			"Sign in to the staff workspace to review it: " + b.Workspace(m.Request),
		}}, missing
	case MoreInformation:
		need("Reference", ref)
		need("Message", m.Text)
		need("Link", link)
		return content{"We need more information about your request", []string{
			"We need more information before we can decide on your request " + ref + ":",
			m.Text,
			"Open this link to upload more documents: " + link,
		}}, missing
	case RequestRejected:
		need("Reference", ref)
		need("Reason", m.Reason)
		return content{"Your request for access was not approved", []string{
			"We could not approve your request " + ref + ".",
			"The reason: " + m.Reason,
			"If you think this is wrong, reply to the Client Finance team or make a new request.",
		}}, missing
	case Approved:
		need("Reference", ref)
		need("Link", link)
		return content{"Your request for access was approved", []string{
			"Your request " + ref + " was approved. To see the client's documents, create your account:",
			link,
			"The link works for 14 days. After you register we will send you a link to confirm your email address.",
		}}, missing
	case ApprovedAccount:
		need("Reference", ref)
		return content{"A client has been added to your portal", []string{
			"Your request " + ref + " was approved. The client has been added to your account.",
			"Sign in to the portal to see their documents: " + b.Portal,
		}}, missing
	case Verification:
		need("Link", link)
		return content{"Confirm your email address", []string{
			"Confirm your email address to finish creating your account:",
			link,
			"The link works for 24 hours. If you did not ask for an account, ignore this email.",
		}}, missing
	case NewDocuments:
		lines := []string{"There are new documents for you to view in the " + b.Brand.Service + "."}
		if m.Replaced {
			// Only that it happened: which document, and why, is for the signed-in portal.
			lines = append(lines, "A document you could see before has been replaced with a corrected one.")
		}
		return content{"You have new documents to view", append(lines, "Sign in to see them: "+b.Portal)}, missing
	case UploadProblem:
		need("FileName", m.FileName)
		need("Reference", ref)
		need("Reason", m.Reason)
		return content{"Please upload your document again", []string{
			"We could not accept the file " + m.FileName + " for your request " + ref + ": " + m.Reason,
			"Please upload it again as a PDF, JPEG or PNG of at most 10 MiB from the portal.",
		}}, missing
	case AccessEnded:
		need("Reference", ref)
		need("Reason", m.Reason)
		return content{"Your access to a client's documents has ended", []string{
			"Your access for request " + ref + " has ended. The reason recorded: " + m.Reason,
			"If you think this is wrong, contact the Client Finance team.",
		}}, missing
	case Withdrawn:
		need("Reference", ref)
		return content{"Your request has been withdrawn", []string{
			"Your request " + ref + " has been withdrawn. The Client Finance team will not review it, and the documents you uploaded for it will be deleted.",
			"If you did not withdraw it, contact the Client Finance team. You can make a new request at any time.",
		}}, missing
	case PasskeyAdded:
		need("Passkey", m.Passkey)
		return content{"A passkey was added to your account", []string{
			"A passkey called \"" + m.Passkey + "\" was added to your account for the " + b.Brand.Service + ". It can now be used to sign in.",
			"If you did not add it, sign in with your email address, remove the passkey from the Passkeys page, and contact the " + Team + ".",
		}}, missing
	case PasskeyRemoved:
		need("Passkey", m.Passkey)
		return content{"A passkey was removed from your account", []string{
			"The passkey called \"" + m.Passkey + "\" was removed from your account for the " + b.Brand.Service + ". It can no longer be used to sign in.",
			"If you did not remove it, contact the " + Team + ".",
		}}, missing
	case Expired:
		need("Reference", ref)
		need("Text", m.Text)
		return content{"Your request has expired", []string{
			"Your request " + ref + " has expired: we had not heard from you for " + m.Text + ". The Client Finance team will not review it, and the documents you uploaded for it have been deleted.",
			"If you still need to see the client's documents, you can make a new request at any time: " + b.Portal,
		}}, missing
	case BatchReport:
		need("Batch", m.Batch)
		if m.Tally == nil {
			need("Tally", "")
			return content{"Batch report", nil}, missing
		}
		t := m.Tally
		p := []string{
			"The batch " + m.Batch + " is reconciled: " + strconv.Itoa(t.Rows) + " rows in its manifest.",
			fmt.Sprintf("Published %d, replaced %d, withdrawn %d, refused %d, missing %d; files not in the manifest %d.",
				t.Published, t.Replaced, t.Withdrawn, t.Refused, t.Missing, t.Unlisted),
		}
		if t.Manifest != "" {
			p = append(p, "The manifest could not be used: "+t.Manifest)
		}
		p = append(p, "The report, row by row with the reasons, is in the sending system's reports folder.")
		return content{"Batch report: " + m.Batch, p}, missing
	}
	return content{}, ""
}
