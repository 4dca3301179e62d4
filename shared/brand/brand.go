package brand

import "github.com/council/cfp/shared/setting"

// Brand is what a council configures about itself: it shows in every page's header and footer,
// and the emails use the same values (the contact email is also their Reply-To).
type Brand struct {
	Council     string // "Example Borough Council"
	CouncilURL  string // where the council's name in the header links: the council's own site
	LogoURL     string // optional; a path on this site (the policy allows images from 'self' only)
	Service     string // "Client Finance Portal"
	ServiceURL  string // the service's start page, "/"
	Phase       string // optional phase banner tag, "Beta"; empty shows no banner
	FeedbackURL string // optional; the phase banner's feedback link

	Phone        string // "020 7946 0000"
	Email        string // "clientfinance@example.gov.uk"
	OpeningHours string // "Monday to Friday, 9am to 5pm"

	AccessibilityURL string
	PrivacyURL       string
	CookiesURL       string
	ContactURL       string
}

// Read reads the council's branding from its settings (shared/setting names them and gives
// their sample values); the footer's cookies and contact pages are always the site's own.
func Read(r *setting.Reader) Brand {
	return Brand{
		Council:          r.Required(setting.CouncilName),
		CouncilURL:       r.Required(setting.CouncilURL),
		LogoURL:          r.Optional(setting.LogoURL),
		Service:          r.Required(setting.ServiceName),
		ServiceURL:       "/",
		Phase:            "Beta",
		FeedbackURL:      "/contact",
		Phone:            r.Required(setting.ContactPhone),
		Email:            r.Required(setting.ContactEmail),
		OpeningHours:     r.Required(setting.OpeningHours),
		AccessibilityURL: r.Required(setting.AccessibilityURL),
		PrivacyURL:       r.Required(setting.PrivacyURL),
		CookiesURL:       "/cookies",
		ContactURL:       "/contact",
	}
}

// Sample is the local stack's council: every branding setting at its sample value.
func Sample() Brand { return Read(setting.From(nil)) }
