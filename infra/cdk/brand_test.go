package cdk

import (
	"slices"
	"testing"

	"github.com/council/cfp/infra/wiring"
)

// Every function that sends email signs it with the same council as the site's pages, and takes
// the same contact email as the emails' Reply-To: the stack's brand props reach each of them.
func TestEveryFunctionThatSendsEmailHasTheSitesBrand(t *testing.T) {
	_, doc := synth(t)
	p := testProps("")
	want := map[wiring.Setting]string{wiring.CouncilName: p.CouncilName, wiring.ContactPhone: p.ContactPhone,
		wiring.ContactEmail: p.ContactEmail, wiring.LogoURL: p.LogoURL}
	senders := 0
	for _, f := range wiring.Functions {
		if f.Name != "site" && !slices.Contains(f.Access.Mail, wiring.SendEmail) {
			continue
		}
		senders++
		env := lambdaOf(t, doc, f.Name).Props["Environment"].(map[string]any)["Variables"].(map[string]any)
		for s, v := range want {
			if env[string(s)] != v {
				t.Errorf("%s: %s = %v; want %q", f.Name, s, env[string(s)], v)
			}
		}
	}
	if senders < 3 { // site, signin (sign-in codes) and notify (everything else)
		t.Errorf("%d functions with the brand; want site and both senders", senders)
	}
}
