package page

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/council/cfp/shared/brand"
	"github.com/council/cfp/shared/web"
)

// with gives a component that takes children (Layout, Panel, banners, inset text) its children,
// as `@Panel("...") { ... }` does in a .templ file.
func with(c templ.Component, children ...templ.Component) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		return c.Render(templ.WithChildren(ctx, templ.Join(children...)), w)
	})
}

func text(tag, class, s string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := io.WriteString(w, "<"+tag+` class="`+class+`">`+templ.EscapeString(s)+"</"+tag+">")
		return err
	})
}

// samplePage is a question page with every component, in the state a bad submission leaves it.
func samplePage(errs Errors) templ.Component {
	return with(Layout(brand.Sample(), Page{Title: "Your details", Errors: errs.Any(), Back: "/request/relationship"}),
		ErrorSummary(errs),
		with(NotificationBanner(Banner{}), text("p", "govuk-notification-banner__heading", "Your answers are saved for 7 days.")),
		text("h1", "govuk-heading-l", "Your details"),
		with(InsetText(), text("p", "govuk-body", "We use these details only to contact you about this request.")),
		templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
			_, err := io.WriteString(w, `<form method="post" action="/request/you" novalidate>`)
			return err
		}),
		FormToken("1770000000.abc"),
		Input(Field{ID: "name", Label: "Full name", Value: "Sam <Smith>", Error: errs.For("name"), Autocomplete: "name", Spellcheck: false}),
		Input(Field{ID: "email", Label: "Email address", Hint: "We send the link to your request here.", Type: "email", Error: errs.For("email"), Autocomplete: "email", Width: 30}),
		Radios(RadioGroup{ID: "relationship", Legend: "How are you connected to the client?", Hint: "Select one.", Error: errs.For("relationship"), Choices: []Choice{
			{Value: "self", Label: "I am the client"},
			{Value: "attorney_lpa", Label: "Attorney", Hint: "Under a property and financial affairs lasting power of attorney."},
			{Value: "deputy", Label: "Deputy for property and affairs"},
		}}),
		DateInput(Date{ID: "dob", Legend: "Client's date of birth", Hint: "For example, 27 3 1950", Error: errs.For("dob"), Bad: []string{"year"}, Day: "27", Month: "3", Year: "2990", Birthday: true}),
		FileUpload(Upload{ID: "file", Label: "Upload a copy of the lasting power of attorney", Hint: "PDF, JPG or PNG, up to 10 MB.", Error: errs.For("file"), Accept: ".pdf,.jpg,.jpeg,.png"}),
		with(ButtonGroup(), Button(Action{Text: "Continue"}), Button(Action{Text: "Save and come back later", Secondary: true, Name: "later", Value: "1"})),
		templ.ComponentFunc(func(_ context.Context, w io.Writer) error { _, err := io.WriteString(w, "</form>"); return err }),
		text("h2", "govuk-heading-m", "Check your answers"),
		SummaryList([]Row{
			{Key: "Name", Value: []string{"Sam Smith"}, Change: "/request/you#name"},
			{Key: "Address", Value: []string{"1 High Street", "Exampletown", "EX1 2AB"}, Change: "/request/you#address", ChangeWhat: "your address"},
			{Key: "Reference", Value: []string{"CFP-7K3M-9Q2X"}},
		}),
		with(Panel("Request received"), templ.Raw("Your reference<br><strong>CFP-7K3M-9Q2X</strong>")),
		with(NotificationBanner(Banner{Success: true, TitleID: "uploaded-title"}), text("p", "govuk-notification-banner__heading", "File uploaded: lpa.pdf")),
		Button(Action{Text: "Start now", Href: "/request/relationship", Start: true}),
	)
}

var badForm = Errors{
	{"name", "Enter your full name"},
	{"email", "Enter an email address in the correct format, like name@example.com"},
	{"relationship", "Select how you are connected to the client"},
	{"dob", "Date of birth must be in the past"},
	{"file", "Select a file to upload"},
}

func render(t *testing.T, c templ.Component) web.Response {
	t.Helper()
	resp := Respond(context.Background(), slog.New(slog.DiscardHandler), http.StatusBadRequest, Policy{Personal: true}, c)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	return resp
}

func TestErrorStateMarkup(t *testing.T) {
	resp := render(t, samplePage(badForm))
	body := resp.Body

	if !strings.Contains(body, "<title>Error: Your details - Client Finance Portal - Example Borough Council</title>") {
		t.Errorf("the title does not start with Error: and name the service and council")
	}
	// Each link of the error summary lands on an element of the page, in the fields' order.
	links := regexp.MustCompile(`<li><a href="#([^"]+)">`).FindAllStringSubmatch(body, -1)
	if len(links) != len(badForm) {
		t.Fatalf("error summary has %d links, want %d", len(links), len(badForm))
	}
	for i, l := range links {
		if l[1] != badForm[i].Field {
			t.Errorf("link %d goes to #%s, want #%s", i, l[1], badForm[i].Field)
		}
		if !strings.Contains(body, ` id="`+l[1]+`"`) || strings.Count(body, ` id="`+l[1]+`"`) != 1 {
			t.Errorf("#%s is not exactly one element's id", l[1])
		}
		// The field's own message is there, read with it.
		if !strings.Contains(body, `id="`+l[1]+`-error"`) || !strings.Contains(body, l[1]+`-error"`) {
			t.Errorf("#%s has no error message of its own", l[1])
		}
	}
	seen := map[string]bool{}
	for _, id := range regexp.MustCompile(` id="([^"]+)"`).FindAllStringSubmatch(body, -1) {
		if seen[id[1]] {
			t.Errorf("id %q is on two elements", id[1])
		}
		seen[id[1]] = true
	}
	for _, want := range []string{
		`class="govuk-form-group govuk-form-group--error"`,
		`<span class="govuk-visually-hidden">Error:</span> Enter your full name`,
		`aria-describedby="email-hint email-error"`,
		`id="relationship" name="relationship" type="radio" value="self"`,
		`id="relationship-2"`,
		// Only the year was wrong.
		`class="govuk-input govuk-date-input__input govuk-input--width-4 govuk-input--error" id="dob-year" name="dob-year"`,
		`class="govuk-input govuk-date-input__input govuk-input--width-2" id="dob" name="dob-day"`,
		`class="govuk-file-upload govuk-file-upload--error" id="file" name="file" type="file"`,
		`value="Sam &lt;Smith&gt;"`,
		`<input type="hidden" name="csrf" value="1770000000.abc">`,
		`Change<span class="govuk-visually-hidden"> your address</span>`,
		`govuk-summary-list__row govuk-summary-list__row--no-actions`,
		`<h1 class="govuk-panel__title">Request received</h1>`,
		`class="govuk-notification-banner govuk-notification-banner--success" role="alert"`,
		`<a href="/request/relationship" class="govuk-back-link">Back</a>`,
		`class="govuk-button govuk-button--start"`,
		`<a href="#main-content" class="govuk-skip-link"`,
		`>Example Borough Council</a>`,
		`>Accessibility statement</a>`, `>Privacy notice</a>`, `>Cookies</a>`, `>Contact</a>`,
		`020 7946 0000`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	// Not the GOV.UK brand: no crown, logotype or crest, and the only SVG is the start button's arrow.
	for _, banned := range []string{"govuk-logo", "crown", "Crown", "GOV.UK", "govuk-crest", "govuk-header__", "style="} {
		if strings.Contains(body, banned) {
			t.Errorf("the page holds %q", banned)
		}
	}
	if n := strings.Count(body, "<svg"); n != 1 {
		t.Errorf("%d SVGs on the page, want only the start button's arrow", n)
	}
	// The one inline script carries the policy's nonce; every other script is from this site.
	m := regexp.MustCompile(`'nonce-([^']+)'`).FindStringSubmatch(resp.Headers["Content-Security-Policy"])
	if m == nil {
		t.Fatalf("no nonce in the policy %q", resp.Headers["Content-Security-Policy"])
	}
	if got := strings.Count(body, "<script nonce=\""+m[1]+"\">"); got != 1 {
		t.Errorf("%d inline scripts carry the nonce, want 1", got)
	}
	if got := strings.Count(body, "<script"); got != 2 {
		t.Errorf("%d scripts, want the nonce'd one and the module", got)
	}
	// Every asset the page names is served.
	for _, a := range regexp.MustCompile(`(?:href|src)="(/assets/[^"]+)"`).FindAllStringSubmatch(body, -1) {
		if r := Static(web.Request{HTTPMethod: http.MethodGet, Path: a[1]}); r.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", a[1], r.StatusCode)
		}
	}
	if resp.Headers["Cache-Control"] != "no-store" {
		t.Errorf("a personal page is cacheable: %q", resp.Headers["Cache-Control"])
	}
	writeDemo(t, "question", body)
}

// A page without errors shows no summary, no error classes, and a title without "Error:".
func TestValidStateMarkup(t *testing.T) {
	body := render(t, samplePage(nil)).Body
	for _, banned := range []string{"govuk-error-summary", "--error", "Error:"} {
		if strings.Contains(body, banned) {
			t.Errorf("a page without errors holds %q", banned)
		}
	}
	confirmation := with(Layout(brand.Sample(), Page{Title: "Request received"}),
		with(Panel("Request received"), templ.Raw("Your reference<br><strong>CFP-7K3M-9Q2X</strong>")),
		text("p", "govuk-body", "We have sent you a confirmation email."),
		with(NotificationBanner(Banner{Success: true}), text("p", "govuk-notification-banner__heading", "2 files uploaded and checked")),
		Button(Action{Text: "Check again", Href: "/request/status", Secondary: true}),
	)
	writeDemo(t, "confirmation", render(t, confirmation).Body)
}

// writeDemo writes the page and its files where a browser can open them from disk, and takes a
// screenshot with Debian's Chromium when it is installed: PAGE_DEMO_DIR=/tmp/demo keeps them.
func writeDemo(t *testing.T, name, body string) {
	dir := os.Getenv("PAGE_DEMO_DIR")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(filepath.Join(dir, "assets"), 0o755); err != nil {
		t.Fatal(err)
	}
	files, _ := fs.ReadDir(static, "static")
	for _, f := range files {
		b, _ := static.ReadFile("static/" + f.Name())
		if err := os.WriteFile(filepath.Join(dir, "assets", f.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	page := filepath.Join(dir, name+".html")
	if err := os.WriteFile(page, []byte(strings.ReplaceAll(body, `"/assets/`, `"assets/`)), 0o644); err != nil {
		t.Fatal(err)
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Logf("the page is at %s (no chromium for a screenshot)", page)
		return
	}
	profile := t.TempDir()
	shot := filepath.Join(dir, name+".png")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir="+profile,
		"--screenshot="+shot, "--window-size=1000,"+map[string]string{"question": "2400", "confirmation": "900"}[name], "file://"+page)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("chromium: %v\n%s", err, out)
	}
	t.Logf("the page is at %s, its screenshot at %s", page, shot)
}
