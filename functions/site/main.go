package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/council/cfp/shared/brand"
	"github.com/council/cfp/shared/setting"
	"github.com/council/cfp/shared/web"
)

func main() {
	env := setting.Env()
	h := Handler{
		Brand:         brand.Read(env),
		Cookie:        web.SessionCookieName(env.Bool(setting.InsecureCookies)),
		JourneyCookie: web.JourneyCookieName(env.Bool(setting.InsecureCookies)),
		RetentionDays: env.Int(setting.EvidenceDays),
		Log:           slog.New(slog.NewJSONHandler(os.Stdout, nil)),
	}
	env.Check()
	lambda.Start(h.Handle)
}
