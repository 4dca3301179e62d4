// Command submit-request serves the access-request routes: create a request with its upload forms,
// submit it once the files are uploaded, and show its status to the holder of its continuation token.
package main

import (
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/bucket"
	"github.com/council/cfp/shared/cloud"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

func main() {
	cfg := cloud.Config()
	st := store.New(cloud.DynamoDB(cfg), cloud.Env("TABLE_NAME"))
	insecure, _ := strconv.ParseBool(os.Getenv("INSECURE_COOKIES"))
	h := Handler{
		Requests:  st,
		Sessions:  st,
		Scans:     st,
		Reviewers: access.Reviewers{To: access.EmailList(cloud.Env("REVIEWERS")), LinkFor: cloud.Days("REVIEW_LINK_DAYS")},
		Insecure:  insecure,
		Uploads:   bucket.New(cloud.S3(cfg), cloud.Env("UPLOADS_BUCKET")),
		Origin:    web.Origin(cloud.Env("PORTAL_URL")),
		PerIP:     perIP(os.Getenv("REQUEST_LIMIT_PER_IP_HOUR")),
		Now:       time.Now,
		Log:       slog.New(slog.NewJSONHandler(os.Stdout, nil)),
	}
	lambda.Start(h.Handle)
}

// perIP reads the per-address limit; 60 an hour unless configured.
func perIP(v string) int {
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return n
	}
	return 60
}
