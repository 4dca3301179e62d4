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
	h := Handler{
		Requests: store.New(cloud.DynamoDB(cfg), env.Required(setting.TableName)),
		Files:    bucket.New(cloud.S3(cfg, env.Bool(setting.S3PathStyle)), env.Required(setting.UploadsBucket)),
		After:    env.Duration(setting.RequestExpiry),
		Now:      time.Now,
		Log:      slog.New(slog.NewJSONHandler(os.Stdout, nil)),
	}
	env.Check()
	lambda.Start(h.Handle)
}
