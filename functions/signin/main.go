package main

import (
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/council/cfp/shared/brand"
	"github.com/council/cfp/shared/cloud"
	"github.com/council/cfp/shared/passkey"
	"github.com/council/cfp/shared/ses"
	"github.com/council/cfp/shared/setting"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/vault"
	"github.com/council/cfp/shared/web"
)

// signInFloor is longer than storing a code and sending it through SES normally takes.
const signInFloor = 800 * time.Millisecond

func main() {
	cfg, env := cloud.Config(), setting.Env()
	st := store.New(cloud.DynamoDB(cfg), env.Required(setting.TableName))
	portal, b := env.Required(setting.PortalURL), brand.Read(env)
	h := Handler{
		Accounts: st, Codes: st, Passkeys: st, RP: passkey.MustNew(portal, b.Service),
		Mailer: ses.Sender{SES: ses.Client(cfg), From: env.Required(setting.MailFrom), ReplyTo: b.Email, ConfigSet: env.Optional(setting.MailConfigSet)},
		Origin: web.Origin(portal), Brand: b,
		Insecure: env.Bool(setting.InsecureCookies), SignInFloor: signInFloor,
		Now: time.Now, Log: slog.New(slog.NewJSONHandler(os.Stdout, nil)),
	}
	// The secret's ARN; its value never sits in the environment.
	h.CodeKey = vault.New(cfg, env.Required(setting.SignInKey))
	env.Check()
	lambda.Start(h.Handle)
}
