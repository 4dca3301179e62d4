package main

import (
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/bucket"
	"github.com/council/cfp/shared/cloud"
	"github.com/council/cfp/shared/setting"
	"github.com/council/cfp/shared/store"
)

func main() {
	cfg, env := cloud.Config(), setting.Env()
	h := Handler{
		Reviews:   store.New(cloud.DynamoDB(cfg), env.Required(setting.TableName)),
		Files:     bucket.New(cloud.S3(cfg, env.Bool(setting.S3PathStyle)), env.Required(setting.UploadsBucket)),
		Reviewers: map[access.Email]bool{},
		ClientRef: env.Pattern(setting.ClientRefFormat),
		Now:       time.Now,
		Log:       slog.New(slog.NewJSONHandler(os.Stdout, nil)),
	}
	for _, e := range env.Emails(setting.Reviewers) {
		h.Reviewers[e] = true
	}
	env.Check()
	lambda.Start(h.Handle)
}
