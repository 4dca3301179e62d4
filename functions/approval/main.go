package main

import (
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/council/cfp/shared/bucket"
	"github.com/council/cfp/shared/cloud"
	"github.com/council/cfp/shared/setting"
	"github.com/council/cfp/shared/store"
)

func main() {
	cfg, env := cloud.Config(), setting.Env()
	db := store.New(cloud.DynamoDB(cfg), env.Required(setting.TableName))
	h := Handler{
		Reviews: db, Staff: db, Now: time.Now, Log: slog.New(slog.NewJSONHandler(os.Stdout, nil)),
		Files:     bucket.New(cloud.S3(cfg, env.Bool(setting.S3PathStyle)), env.Required(setting.UploadsBucket)),
		ClientRef: env.Pattern(setting.ClientRefFormat),
		IdP: &OIDC{Issuer: env.Required(setting.StaffIssuer), ClientID: env.Required(setting.StaffClientID),
			ClientSecret: env.Required(setting.StaffClientSecret), RedirectURL: env.Required(setting.PortalURL) + "/staff/callback"},
		Groups:   env.Groups(setting.StaffGroups),
		Insecure: env.Bool(setting.InsecureCookies),
	}
	env.Check()
	lambda.Start(h.Handle)
}
