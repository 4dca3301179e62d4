package main

import (
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/council/cfp/shared/bucket"
	"github.com/council/cfp/shared/cloud"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/ses"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// signInFloor is longer than storing a code and sending it through SES normally takes.
const signInFloor = 800 * time.Millisecond

func main() {
	cfg := cloud.Config()
	st := store.New(cloud.DynamoDB(cfg), cloud.Env("TABLE_NAME"))
	portal := cloud.Env("PORTAL_URL")
	insecure, _ := strconv.ParseBool(os.Getenv("INSECURE_COOKIES"))
	h := Handler{
		Accounts:    st,
		Sessions:    st,
		Portal:      st,
		Mailer:      ses.Sender{SES: ses.Client(cfg), From: cloud.Env("MAIL_FROM"), ConfigSet: os.Getenv("SES_CONFIGURATION_SET")},
		Files:       bucket.New(cloud.S3(cfg), cloud.Env("DOCUMENTS_BUCKET")),
		Origin:      web.Origin(portal),
		Bases:       mail.Bases{API: cloud.Env("API_URL"), Portal: portal},
		Insecure:    insecure,
		SignInFloor: signInFloor,
		Now:         time.Now,
		Log:         slog.New(slog.NewJSONHandler(os.Stdout, nil)),
	}
	lambda.Start(h.Handle)
}
