package stack

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/council/cfp/infra/wiring"
)

// Every function has a sample event in events/ for each kind of trigger it has, in the shape AWS
// sends, for `make invoke`.
func TestEverySampleEventFitsItsFunction(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "events", "*.json"))
	byFn := map[string][]string{}
	for _, f := range files {
		base := filepath.Base(f)
		matched := false
		for _, fn := range wiring.Functions {
			if strings.HasPrefix(base, fn.Name+"-") {
				byFn[fn.Name] = append(byFn[fn.Name], f)
				matched = true
			}
		}
		if !matched {
			t.Errorf("%s names no function (events/<function>-<what>.json)", base)
		}
	}
	for _, fn := range wiring.Functions {
		var api, s3, schedule bool
		for _, f := range byFn[fn.Name] {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var probe map[string]any
			if err := json.Unmarshal(raw, &probe); err != nil {
				t.Errorf("%s: %v", f, err)
				continue
			}
			switch {
			case probe["httpMethod"] != nil:
				var ev events.APIGatewayProxyRequest
				_ = json.Unmarshal(raw, &ev)
				for _, r := range fn.Routes {
					api = api || r.Method == ev.HTTPMethod && r.Path == ev.Resource && ev.RequestContext.RequestID != ""
				}
			case probe["Records"] != nil:
				var ev events.S3Event
				_ = json.Unmarshal(raw, &ev)
				for _, rec := range ev.Records {
					key, _ := url.QueryUnescape(rec.S3.Object.Key)
					for _, n := range fn.Notifications {
						s3 = s3 || rec.EventSource == "aws:s3" && strings.HasPrefix(key, n.Prefix)
					}
					schedule = schedule || rec.EventSource == "aws:sns" && fn.MailFeedback
				}
			case probe["detail-type"] == "Scheduled Event":
				schedule = fn.Schedule > 0
			}
		}
		if len(fn.Routes) > 0 && !api {
			t.Errorf("%s: no sample API Gateway event for one of its routes", fn.Name)
		}
		if len(fn.Notifications) > 0 && !s3 {
			t.Errorf("%s: no sample S3 event under its prefix", fn.Name)
		}
		if fn.Schedule > 0 && !schedule {
			t.Errorf("%s: no sample scheduled event", fn.Name)
		}
	}
}
