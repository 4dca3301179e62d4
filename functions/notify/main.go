package main

import (
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/council/cfp/shared/brand"
	"github.com/council/cfp/shared/cloud"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/ses"
	"github.com/council/cfp/shared/setting"
	"github.com/council/cfp/shared/store"
)

func main() {
	cfg, env := cloud.Config(), setting.Env()
	s, b := store.New(cloud.DynamoDB(cfg), env.Required(setting.TableName)), brand.Read(env)
	h := Handler{
		Outbox: s, Notices: s, Feedback: s,
		Sender:   ses.Sender{SES: ses.Client(cfg), From: env.Required(setting.MailFrom), ReplyTo: b.Email, ConfigSet: env.Optional(setting.MailConfigSet)},
		Bases:    mail.Bases{Portal: env.Required(setting.PortalURL), Brand: b},
		PerSec:   env.Float(setting.MailRate),
		Quiet:    env.Duration(setting.NoticeQuiet),
		MaxDelay: env.Duration(setting.NoticeMaxDelay),
		Now:      time.Now,
		Log:      slog.New(slog.NewJSONHandler(os.Stdout, nil)),
	}
	env.Check()
	lambda.Start(h.Handle)
}
