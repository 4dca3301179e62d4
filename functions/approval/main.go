// Command approval serves the staff review pages: GET/POST /review/{token} and
// GET /review/{token}/evidence/{evidenceId}. A reviewer opens the link from their "ready for review"
// email, sees the request, its evidence and its history, records security checks, and approves,
// rejects, asks for more information, or ends an approved request's access. Pages are plain HTML
// forms (GOV.UK Design System patterns) that work without JavaScript; GET never changes anything.
package main

import (
	"log/slog"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/bucket"
	"github.com/council/cfp/shared/cloud"
	"github.com/council/cfp/shared/store"
)

func main() {
	cfg := cloud.Config()
	h := Handler{
		Reviews:   store.New(cloud.DynamoDB(cfg), cloud.Env("TABLE_NAME")),
		Files:     bucket.New(cloud.S3(cfg), cloud.Env("UPLOADS_BUCKET")),
		Reviewers: reviewers(cloud.Env("REVIEWERS")),
		ClientRef: clientRefPattern(os.Getenv("CLIENT_REFERENCE_PATTERN")),
		Now:       time.Now,
		Log:       slog.New(slog.NewJSONHandler(os.Stdout, nil)),
	}
	lambda.Start(h.Handle)
}

// reviewers reads the comma-separated list of the Client Finance team's addresses.
func reviewers(v string) map[access.Email]bool {
	out := map[access.Email]bool{}
	for _, e := range access.EmailList(v) {
		out[e] = true
	}
	return out
}

// DefaultClientRef is the council's client reference format unless configured: 6 to 10 digits.
const DefaultClientRef = `[0-9]{6,10}`

// clientRefPattern compiles the configured format so that it must match the whole reference; a
// pattern that does not compile stops the function's start-up with a clear message.
func clientRefPattern(p string) *regexp.Regexp {
	p = strings.TrimSuffix(strings.TrimPrefix(p, "^"), "$")
	if p == "" {
		p = DefaultClientRef
	}
	return regexp.MustCompile(`^(?:` + p + `)$`)
}
