package cdk

import (
	"slices"
	"strings"
	"testing"

	"github.com/council/cfp/infra/wiring"
)

// TestOnlyTheExpiryMayDeleteEvidenceVersions: the expire function runs every 5 minutes with the request
// expiry it is given, and its role alone may delete a version of an evidence file or its copy for
// good: on the uploads bucket's evidence/ and renditions/ objects only, listing versions for those
// folders only. It sends no email itself and reads no file.
func TestOnlyTheExpiryMayDeleteEvidenceVersions(t *testing.T) {
	_, doc := synth(t)
	uploads := bucketIDFor(t, doc, wiring.UploadsBucket)
	fn := lambdaOf(t, doc, "expire")
	if env := jsonPath(fn.Props, "Environment", "Variables").(map[string]any); env["REQUEST_EXPIRY"] != "672h0m0s" {
		t.Errorf("REQUEST_EXPIRY %v; want the default four weeks", env["REQUEST_EXPIRY"])
	}
	scheduled := false
	for _, r := range resources(doc, "AWS::Events::Rule") {
		if mentions(r.Props["Targets"], fn.ID) {
			scheduled = r.Props["ScheduleExpression"] == "rate(5 minutes)"
		}
	}
	if !scheduled {
		t.Error("no rule invokes the expire function every 5 minutes")
	}
	for _, f := range wiring.Functions {
		for _, st := range statementsOf(doc, refOf(lambdaOf(t, doc, f.Name).Props["Role"])) {
			actions, text := strs(st["Action"]), jsonOf(st)
			if strings.Contains(text, "s3:Get") || strings.Contains(text, "ses:") {
				if f.Name == "expire" {
					t.Errorf("expire may read files or send email: %s", text)
				}
			}
			if slices.Contains(actions, "s3:DeleteObjectVersion") {
				if f.Name != "expire" {
					t.Errorf("%s may delete versions of files: %s", f.Name, text)
					continue
				}
				res := jsonOf(st["Resource"])
				if !strings.Contains(res, uploads) || !strings.Contains(res, "/evidence/*") && !strings.Contains(res, "/renditions/*") {
					t.Errorf("expire deletes versions beyond the evidence folders: %s", text)
				}
			}
			if slices.Contains(actions, "s3:ListBucketVersions") {
				prefixes := strs(jsonPath(st, "Condition", "StringLike", "s3:prefix"))
				if f.Name != "expire" || !slices.Equal(prefixes, []string{"evidence/*", "renditions/*"}) || !strings.Contains(jsonOf(st["Resource"]), uploads) {
					t.Errorf("%s lists versions under %v: %s", f.Name, prefixes, text)
				}
			}
		}
	}
}
