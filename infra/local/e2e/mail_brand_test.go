package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/setting"
	"github.com/council/cfp/shared/store"
)

// Real emails, as the mailbox receives them from both senders (notify for the queued verification
// email, account for the sign-in code straight through SES), are signed with the council the stack
// is configured for (the sample one) and take its contact address as their Reply-To.
func TestEmailsAreSignedWithTheCouncilAndRepliesGoToTheTeam(t *testing.T) {
	email, _, _ := portalPerson(t, "brand", store.Grant{ClientReference: publishClient(), ClientName: "Brand Client", Relationship: access.Deputy})
	footer := "\n-- \n" + setting.SampleCouncilName + "\n" + setting.DefaultServiceName + "\n\nContact the Client Finance team\n" +
		"Telephone: " + setting.SampleContactPhone + "\n" + setting.SampleOpeningHours + "\n" +
		"Email: " + setting.SampleContactEmail + " (or reply to this email)\n"
	seen := map[string]bool{}
	for _, m := range mailTo(t, email) {
		seen[m.Subject] = true
		if !slices.Equal(m.ReplyTo, []string{setting.SampleContactEmail}) {
			t.Errorf("%q: Reply-To %v; want the contact email", m.Subject, m.ReplyTo)
		}
		if !strings.HasSuffix(m.Text, footer) {
			t.Errorf("%q: the text part does not end with the council's footer:\n%s", m.Subject, m.Text)
		}
		for _, want := range []string{setting.SampleCouncilName, setting.DefaultServiceName, setting.SampleContactPhone, "mailto:" + setting.SampleContactEmail} {
			if !strings.Contains(m.HTML, want) {
				t.Errorf("%q: the HTML part lacks %q", m.Subject, want)
			}
		}
	}
	if !seen[verifySubject] || !seen[codeSubject] {
		t.Errorf("emails seen %v; want the verification email (notify) and the sign-in code (account)", seen)
	}
}
