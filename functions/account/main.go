package main

import (
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/council/cfp/shared/brand"
	"github.com/council/cfp/shared/bucket"
	"github.com/council/cfp/shared/cloud"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/passkey"
	"github.com/council/cfp/shared/setting"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

func main() {
	cfg, env := cloud.Config(), setting.Env()
	st := store.New(cloud.DynamoDB(cfg), env.Required(setting.TableName))
	portal, b := env.Required(setting.PortalURL), brand.Read(env)
	h := Handler{
		Accounts: st, Sessions: st, Portal: st, Passkeys: st,
		Files:  bucket.New(cloud.S3(cfg, env.Bool(setting.S3PathStyle)), env.Required(setting.DocumentsBucket)),
		Origin: web.Origin(portal), RP: passkey.MustNew(portal, b.Service), Brand: b, Bases: mail.Bases{Portal: portal, Brand: b},
		Insecure: env.Bool(setting.InsecureCookies),
		Now:      time.Now, Log: slog.New(slog.NewJSONHandler(os.Stdout, nil)),
	}
	env.Check()
	lambda.Start(h.Handle)
}
