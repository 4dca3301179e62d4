// Command notify delivers the outbox: every email the other functions queued, at least once, with
// retries and backoff, parking an email that keeps failing. It also turns each person's pending
// new-documents notice into one email once they have had no new document for a quiet period (or
// at the latest a maximum delay after the first), paces SES to the account's send rate, and records
// SES's bounce and complaint feedback so that no email goes to a suppressed address.
package main

import (
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/council/cfp/shared/cloud"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/ses"
	"github.com/council/cfp/shared/store"
)

func main() {
	cfg := cloud.Config()
	rate, _ := strconv.ParseFloat(os.Getenv("MAIL_MAX_PER_SECOND"), 64)
	s := store.New(cloud.DynamoDB(cfg), cloud.Env("TABLE_NAME"))
	h := Handler{
		Outbox:   s,
		Notices:  s,
		Feedback: s,
		Sender:   ses.Sender{SES: ses.Client(cfg), From: cloud.Env("MAIL_FROM"), ConfigSet: os.Getenv("SES_CONFIGURATION_SET")},
		Bases:    mail.Bases{API: cloud.Env("API_URL"), Portal: cloud.Env("PORTAL_URL")},
		PerSec:   rate,
		Quiet:    duration("NOTICE_QUIET_PERIOD", 10*time.Minute),
		MaxDelay: duration("NOTICE_MAX_DELAY", time.Hour),
		Now:      time.Now,
		Log:      slog.New(slog.NewJSONHandler(os.Stdout, nil)),
	}
	lambda.Start(h.Handle)
}

// duration reads a Go duration setting ("10m", "3s"), or def when unset. A value that does not
// parse stops start-up with a clear message rather than silently using the default.
func duration(name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		panic("notify: setting " + name + " is not a duration: " + v)
	}
	return d
}
