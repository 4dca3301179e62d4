package main

import (
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/council/cfp/shared/cloud"
	"github.com/council/cfp/shared/setting"
	"github.com/council/cfp/shared/store"
)

func main() {
	cfg, env := cloud.Config(), setting.Env()
	bucket := env.Required(setting.DocumentsBucket)
	h := Handler{
		Objects:   bucketObjects{s3: cloud.S3(cfg, env.Bool(setting.S3PathStyle)), bucket: bucket},
		Documents: store.New(cloud.DynamoDB(cfg), env.Required(setting.TableName)),
		Bucket:    bucket,
		ClientRef: env.Pattern(setting.ClientRefFormat),
		Now:       time.Now,
		Log:       slog.New(slog.NewJSONHandler(os.Stdout, nil)),
	}
	env.Check()
	lambda.Start(h.Handle)
}
