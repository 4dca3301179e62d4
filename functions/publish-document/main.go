package main

import (
	"log/slog"
	"os"
	"regexp"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/council/cfp/shared/bucket"
	"github.com/council/cfp/shared/cloud"
	"github.com/council/cfp/shared/store"
)

// defaultClientRef is the council's client reference format unless CLIENT_REFERENCE_PATTERN says
// otherwise (the contract: by default 6 to 10 digits).
const defaultClientRef = `^[0-9]{6,10}$`

func main() {
	cfg := cloud.Config()
	docs := cloud.Env("DOCUMENTS_BUCKET")
	pattern := os.Getenv("CLIENT_REFERENCE_PATTERN")
	if pattern == "" {
		pattern = defaultClientRef
	}
	h := Handler{
		Objects:   bucket.New(cloud.S3(cfg), docs),
		Documents: store.New(cloud.DynamoDB(cfg), cloud.Env("TABLE_NAME")),
		Bucket:    docs,
		ClientRef: regexp.MustCompile(pattern), // a bad pattern stops start-up with a clear message
		Now:       time.Now,
		Log:       slog.New(slog.NewJSONHandler(os.Stdout, nil)),
	}
	lambda.Start(h.Handle)
}
