// Command render makes the copy of each clean evidence file that staff open instead of the
// upload (package rendition): a PDF rebuilt from pictures of its pages, a JPEG or PNG encoded
// again. It is started by the creation of render/<request>/<evidence>, which scan-upload writes
// once the file is clean; it reads exactly the version checked, writes the rendition beside the
// upload (access.RenditionKey) and records it, or why there is none, on the evidence.
package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/council/cfp/functions/render/rendition"
	"github.com/council/cfp/shared/bucket"
	"github.com/council/cfp/shared/cloud"
	"github.com/council/cfp/shared/setting"
	"github.com/council/cfp/shared/store"
)

func main() {
	cfg, env := cloud.Config(), setting.Env()
	uploads, table := env.Required(setting.UploadsBucket), env.Required(setting.TableName)
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	env.Check()
	// Compiled once per process, during Lambda's init; the cache serves later starts that share it.
	engine, err := rendition.New(filepath.Join(os.TempDir(), "cfp-pdfium"))
	if err != nil {
		log.Error("starting PDFium", "err", err)
		os.Exit(1)
	}
	h := Handler{
		Evidence: store.New(cloud.DynamoDB(cfg), table),
		Objects:  bucket.New(cloud.S3(cfg, env.Bool(setting.S3PathStyle)), uploads),
		Renderer: engine, Bucket: uploads, Margin: 5 * time.Second, Now: time.Now, Log: log,
	}
	lambda.Start(h.Handle)
}
