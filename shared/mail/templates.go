package mail

import (
	"fmt"
	"html"
	"regexp"
	"strings"
	"sync"
)

// The service's name as people see it in emails.
const service = "Client Finance Portal"

// content is one email: a subject and paragraphs of plain text. Paragraphs may use {{.Field}} from
// Message.Data and {{.Link}} for the minted link; the HTML part is made from the same paragraphs, escaped.
type content struct {
	subject    string
	paragraphs []string
}

var templates = map[Template]content{
	RequestReceived: {"We have received your request", []string{
		"We have received your request for access to a client's financial documents. Your reference is {{.Reference}}.",
		"If you have not yet uploaded your documents, go back to the portal to finish your request. The Client Finance team will check your request and may phone you. We will email you when we have decided.",
	}},
	ReadyForReview: {"Access request ready for review", []string{
		"An access request ({{.Reference}}, relationship: {{.Relationship}}) is ready for review. Its evidence has passed the upload checks.",
		"Open this link to review it: {{.Link}}",
		"The link works for {{.Days}} days and only for you. Do not forward it.",
	}},
	MoreInformation: {"We need more information about your request", []string{
		"We need more information before we can decide on your request {{.Reference}}:",
		"{{.Message}}",
		"Open this link to upload more documents: {{.Link}}",
	}},
	RequestRejected: {"Your request for access was not approved", []string{
		"We could not approve your request {{.Reference}}.",
		"The reason: {{.Reason}}",
		"If you think this is wrong, reply to the Client Finance team or make a new request.",
	}},
	Approved: {"Your request for access was approved", []string{
		"Your request {{.Reference}} was approved. To see the client's documents, create your account:",
		"{{.Link}}",
		"The link works for 14 days. After you register we will send you a link to confirm your email address.",
	}},
	ApprovedAccount: {"A client has been added to your portal", []string{
		"Your request {{.Reference}} was approved. The client has been added to your account.",
		"Sign in to the portal to see their documents: {{.Portal}}",
	}},
	Verification: {"Confirm your email address", []string{
		"Confirm your email address to finish creating your account:",
		"{{.Link}}",
		"The link works for 24 hours. If you did not ask for an account, ignore this email.",
	}},
	SignInCode: {"Your sign-in code", []string{
		"Your code to sign in to the {{.Service}} is {{.Code}}",
		"It works once, for 10 minutes. If you did not try to sign in, ignore this email: nobody can sign in without the code.",
	}},
	NewDocuments: {"You have new documents to view", []string{
		"There are new documents for you to view in the {{.Service}}.",
		"Sign in to see them: {{.Portal}}",
	}},
	UploadProblem: {"Please upload your document again", []string{
		"We could not accept the file {{.FileName}} for your request {{.Reference}}: {{.Reason}}",
		"Please upload it again as a PDF, JPEG or PNG of at most 10 MiB from the portal.",
	}},
	AccessEnded: {"Your access to a client's documents has ended", []string{
		"Your access for request {{.Reference}} has ended. The reason recorded: {{.Reason}}",
		"If you think this is wrong, contact the Client Finance team.",
	}},
}

// Rendered is an email ready for SES.
type Rendered struct{ Subject, Text, HTML string }

// field is a placeholder in a paragraph: {{.Name}}. Compiled on first use, not in every cold start.
var field = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\{\{\.([A-Za-z]+)\}\}`) })

// Render fills a template. link is the minted link's URL ("" when the message has none).
// Unknown templates and missing fields are errors: an email with a hole in it is not sent.
// (Plain substitution, not text/template: the template packages' reflection keeps every exported
// method in the binary and cost the functions several MiB, against a 12 MiB budget.)
func Render(m Message, link string, bases Bases) (Rendered, error) {
	c, ok := templates[m.Template]
	if !ok {
		return Rendered{}, fmt.Errorf("mail: no template %q", m.Template)
	}
	data := map[string]string{"Link": link, "Portal": bases.Portal, "Service": service}
	for k, v := range m.Data {
		data[k] = v
	}
	var text, body strings.Builder
	body.WriteString(`<!doctype html><html lang="en"><body style="font-family:Arial,sans-serif;font-size:16px;line-height:1.5">`)
	body.WriteString(`<p style="font-weight:bold">` + service + `</p>`)
	for _, p := range c.paragraphs {
		var missing string
		fill := func(escape func(string) string) string {
			return field().ReplaceAllStringFunc(p, func(ph string) string {
				name := field().FindStringSubmatch(ph)[1]
				v, ok := data[name]
				if !ok || (v == "" && name == "Link") {
					missing = name
				}
				return escape(v)
			})
		}
		text.WriteString(fill(func(v string) string { return v }) + "\n\n")
		body.WriteString("<p>" + fill(html.EscapeString) + "</p>")
		if missing != "" {
			return Rendered{}, fmt.Errorf("mail: %s: no value for %s", m.Template, missing)
		}
	}
	body.WriteString("</body></html>")
	return Rendered{Subject: c.subject, Text: strings.TrimSpace(text.String()) + "\n", HTML: body.String()}, nil
}
