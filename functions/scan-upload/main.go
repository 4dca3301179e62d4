package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/bucket"
	"github.com/council/cfp/shared/cloud"
	"github.com/council/cfp/shared/setting"
	"github.com/council/cfp/shared/store"
)

func main() {
	cfg, env := cloud.Config(), setting.Env()
	uploads := env.Required(setting.UploadsBucket)
	h := Handler{
		Evidence:  store.New(cloud.DynamoDB(cfg), env.Required(setting.TableName)),
		Objects:   bucket.New(cloud.S3(cfg, env.Bool(setting.S3PathStyle)), uploads),
		Bucket:    uploads,
		Reviewers: access.Reviewers{To: env.Emails(setting.Reviewers)},
		Log:       slog.New(slog.NewJSONHandler(os.Stdout, nil)),
	}
	env.Check()
	lambda.Start(h.Handle)
}
