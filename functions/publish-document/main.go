package main

import (
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/council/cfp/shared/bucket"
	"github.com/council/cfp/shared/cloud"
	"github.com/council/cfp/shared/setting"
	"github.com/council/cfp/shared/store"
)

func main() {
	cfg, env := cloud.Config(), setting.Env()
	docs := env.Required(setting.DocumentsBucket)
	s := store.New(cloud.DynamoDB(cfg), env.Required(setting.TableName))
	h := Handler{
		Objects:   bucket.New(cloud.S3(cfg, env.Bool(setting.S3PathStyle)), docs),
		Documents: s,
		Batches:   s,
		Window:    env.Duration(setting.BatchWindow),
		Support:   env.Emails(setting.BusinessSupport),
		Bucket:    docs,
		ClientRef: env.Pattern(setting.ClientRefFormat),
		Now:       time.Now,
		Log:       slog.New(slog.NewJSONHandler(os.Stdout, nil)),
		Opened:    new(sync.Map),
	}
	env.Check()
	lambda.Start(h.Invoke)
}
