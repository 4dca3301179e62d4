package page

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

// Sample is the local stack's council. The phone number is from Ofcom's drama range and the
// domain is reserved, so nothing here reaches a real person.
func Sample() Brand {
	return Brand{
		Council:          "Example Borough Council",
		CouncilURL:       "https://www.example.gov.uk/",
		Service:          "Client Finance Portal",
		ServiceURL:       "/",
		Phase:            "Beta",
		FeedbackURL:      "/contact",
		Phone:            "020 7946 0000",
		Email:            "clientfinance@example.gov.uk",
		OpeningHours:     "Monday to Friday, 9am to 5pm (except bank holidays)",
		AccessibilityURL: "/accessibility",
		PrivacyURL:       "/privacy",
		CookiesURL:       "/cookies",
		ContactURL:       "/contact",
	}
}

// themeColour is the brand colour in assets/portal.scss, for browsers that tint their own bar.
const themeColour = "#00615c"
