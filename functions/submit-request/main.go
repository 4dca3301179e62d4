// Command submit-request serves the access-request routes: create a request with its upload forms,
// submit it once the files are uploaded, and show its status to the holder of its continuation token.
// It also serves the pages of the same journey (pages.go, files.go): the questions, the evidence
// uploads, "check your answers", the confirmation, and the status, "more information" and "I lost
// my link" pages the emails lead to.
package main

import (
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/bucket"
	"github.com/council/cfp/shared/cloud"
	"github.com/council/cfp/shared/page"
	"github.com/council/cfp/shared/setting"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

func main() {
	cfg, env := cloud.Config(), setting.Env()
	st := store.New(cloud.DynamoDB(cfg), env.Required(setting.TableName))
	h := Handler{
		Requests: st, Sessions: st, Scans: st, Drafts: st,
		Brand:     page.ReadBrand(env),
		Reviewers: access.Reviewers{To: env.Emails(setting.Reviewers), LinkFor: env.Days(setting.ReviewLinkDays)},
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
