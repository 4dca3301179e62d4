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
	"github.com/council/cfp/shared/vault"
)

func main() {
	cfg, env := cloud.Config(), setting.Env()
	db := store.New(cloud.DynamoDB(cfg), env.Required(setting.TableName))
	idp := &OIDC{Issuer: env.Required(setting.StaffIssuer), ClientID: env.Required(setting.StaffClientID),
		RedirectURL: env.Required(setting.PortalURL) + "/staff/callback"}
	s3c := cloud.S3(cfg, env.Bool(setting.S3PathStyle))
	h := Handler{
		Reviews: db, Staff: db, Trail: db, People: db, Now: time.Now, Log: slog.New(slog.NewJSONHandler(os.Stdout, nil)),
		Files:   bucket.New(s3c, env.Required(setting.UploadsBucket)),
		Archive: bucket.New(s3c, env.Required(setting.DocumentsBucket)), Holdings: db,
		ClientRef: env.Pattern(setting.ClientRefFormat),
		IdP:       idp, Groups: env.Groups(setting.StaffGroups), Insecure: env.Bool(setting.InsecureCookies),
	}
	// The secret's ARN; its value never sits in the environment.
	idp.ClientSecret = vault.New(cfg, env.Required(setting.StaffClientSecret))
	env.Check()
	lambda.Start(h.Handle)
}
