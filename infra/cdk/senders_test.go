package cdk

import (
	"encoding/json"
	"strings"
	"testing"
)

// Each sending system has a role that reaches only its own folder: it writes under
// batches/<system>/, never its reports folder, reads only its reports, and lists only its folder.
func TestEachSenderReachesOnlyItsOwnFolder(t *testing.T) {
	_, doc := synth(t)
	systems := testProps("").SendingSystems
	found := map[string]bool{}
	for _, r := range resources(doc, "AWS::IAM::Role") {
		sys := ""
		for _, tag := range asList(r.Props["Tags"]) {
			if tm := tag.(map[string]any); tm["Key"] == SenderTag {
				sys = tm["Value"].(string)
			}
		}
		if sys == "" {
			continue
		}
		found[sys] = true
		folder := "batches/" + sys + "/"
		var allowWrite, denyReports, readReports, list, key bool
		for _, st := range statementsOf(doc, r.ID) {
			raw, _ := json.Marshal(st)
			text := string(raw)
			for _, other := range systems {
				if other != sys && strings.Contains(text, "batches/"+other+"/") {
					t.Errorf("%s's role reaches %s's folder: %s", sys, other, text)
				}
			}
			if strings.Contains(text, "inbound/") || strings.Contains(text, "published/") || strings.Contains(text, `"*"`) {
				t.Errorf("%s's role reaches beyond its folder: %s", sys, text)
			}
			actions := strs(st["Action"])
			switch {
			case st["Effect"] == "Deny" && strings.Contains(text, folder+"reports/*") && contains(actions, "s3:PutObject"):
				denyReports = true
			case st["Effect"] == "Allow" && contains(actions, "s3:PutObject") && strings.Contains(text, folder+"*"):
				allowWrite = true
			case st["Effect"] == "Allow" && contains(actions, "s3:GetObject") && strings.Contains(text, folder+"reports/*"):
				readReports = true
			case st["Effect"] == "Allow" && contains(actions, "s3:ListBucket") && strings.Contains(text, `"s3:prefix"`) && strings.Contains(text, folder):
				list = true
			case st["Effect"] == "Allow" && contains(actions, "kms:GenerateDataKey") && strings.Contains(text, "kms:ViaService"):
				key = true
			case st["Effect"] == "Allow":
				t.Errorf("%s's role has another statement: %s", sys, text)
			}
		}
		if !allowWrite || !denyReports || !readReports || !list || !key {
			t.Errorf("%s's role: write %v, reports denied %v, reports read %v, list %v, bucket key through S3 %v", sys, allowWrite, denyReports, readReports, list, key)
		}
	}
	for _, sys := range systems {
		if !found[sys] {
			t.Errorf("no role for sending system %s", sys)
		}
	}
}

func TestSendingSystemNamesAreChecked(t *testing.T) {
	for _, bad := range [][]string{{"Billing"}, {"a/b"}, {"reports"}, {"billing", "billing"}, {""}} {
		p := testProps(t.TempDir())
		p.SendingSystems = bad
		if err := p.WithDefaults().Validate(); err == nil || !strings.Contains(err.Error(), "sending system") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
