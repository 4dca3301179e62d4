// Command notify delivers the outbox: every email the other functions queued, at least once, with
// retries and backoff, parking an email that keeps failing.
package main

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/council/cfp/shared/cloud"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/store"
)

func main() {
	cfg := cloud.Config(context.Background())
	rate, _ := strconv.ParseFloat(os.Getenv("MAIL_MAX_PER_SECOND"), 64)
	h := Handler{
		Outbox: store.New(cloud.DynamoDB(cfg), cloud.Env("TABLE_NAME")),
		Sender: mail.Sender{SES: cloud.SES(cfg), From: cloud.Env("MAIL_FROM"), ConfigSet: os.Getenv("SES_CONFIGURATION_SET")},
		Bases:  mail.Bases{API: cloud.Env("API_URL"), Portal: cloud.Env("PORTAL_URL")},
		PerSec: rate,
		Now:    time.Now,
		Log:    slog.New(slog.NewJSONHandler(os.Stdout, nil)),
	}
	lambda.Start(h.Handle)
}
