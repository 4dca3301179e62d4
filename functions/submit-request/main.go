package main

import (
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/brand"
	"github.com/council/cfp/shared/bucket"
	"github.com/council/cfp/shared/cloud"
	"github.com/council/cfp/shared/setting"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

func main() {
	cfg, env := cloud.Config(), setting.Env()
	st := store.New(cloud.DynamoDB(cfg), env.Required(setting.TableName))
	h := Handler{
		Requests: st, Sessions: st, Scans: st, Drafts: st, Mine: st,
		Brand:     brand.Read(env),
		Reviewers: access.Reviewers{To: env.Emails(setting.Reviewers)},
		Insecure:  env.Bool(setting.InsecureCookies),
		Uploads:   bucket.New(cloud.S3(cfg, env.Bool(setting.S3PathStyle)), env.Required(setting.UploadsBucket)),
		Origin:    web.Origin(env.Required(setting.PortalURL)),
		PerIP:     env.Int(setting.IPRequestLimit),
		Now:       time.Now,
		Log:       slog.New(slog.NewJSONHandler(os.Stdout, nil)),
	}
	env.Check()
	lambda.Start(h.Handle)
}
