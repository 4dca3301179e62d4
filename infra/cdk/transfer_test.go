package cdk

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// Sample public keys (made with ssh-keygen for these tests; their private halves were thrown away).
const (
	billingKey1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB1R+yxuftmgXvlXcNHz55k7BKGWTBd76wMxRk1CUFPV billing-export"
	billingKey2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHz/q9XFPneEC52OHyb7Ji+Xz0QrInIqD+X6kgbWx3ZO billing-standby"
	financeKey  = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPgY4//45TU5HLk9t2Ig+G06XZdZyH3Ns161n2lBu10k finance-export"
)

func TestSFTPServerIsAbsentByDefault(t *testing.T) {
	tmpl, _ := synth(t)
	for _, typ := range []string{"AWS::Transfer::Server", "AWS::Transfer::User"} {
		check(t, typ+" absent", func() { tmpl.ResourceCountIs(jsii.String(typ), jsii.Number(0)) })
	}
}

// With SFTP on: one SFTP-only server with service-managed users, each jailed to its own folder by
// a logical home directory, acting through a role that reaches only that folder; the server logs
// to a log group of the stack's with a retention, through a role that may write only there.
func TestSFTPServerWhenSwitchedOn(t *testing.T) {
	dir := fakeAssets(t)
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := testProps(dir)
	p.SFTP = true
	p.SFTPKeys = map[string][]string{"billing": {billingKey1, billingKey2}, "finance": {financeKey}}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	stack := NewStack(app, "cfp-sftp", p)
	tmpl := assertions.Template_FromStack(stack, nil)
	var doc map[string]any
	raw, _ := json.Marshal(tmpl.ToJSON())
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}

	servers := resources(doc, "AWS::Transfer::Server")
	if len(servers) != 1 {
		t.Fatalf("%d Transfer servers", len(servers))
	}
	srv := servers[0].Props
	if srv["IdentityProviderType"] != "SERVICE_MANAGED" || !slices.Equal(strs(srv["Protocols"]), []string{"SFTP"}) ||
		srv["Domain"] != "S3" || srv["SecurityPolicyName"] != SFTPSecurityPolicy {
		t.Errorf("server %v", srv)
	}

	// Logging: JSON logs to the stack's log group, which keeps them for LogRetention.
	logGroup := ""
	for _, lg := range resources(doc, "AWS::Logs::LogGroup") {
		if strings.HasPrefix(lg.ID, "SftpLogs") {
			logGroup = lg.ID
			if lg.Props["RetentionInDays"] != float64(180) {
				t.Errorf("SFTP log retention %v, want 180 days", lg.Props["RetentionInDays"])
			}
		}
	}
	dest, _ := json.Marshal(srv["StructuredLogDestinations"])
	if logGroup == "" || !strings.Contains(string(dest), logGroup) {
		t.Errorf("server logs to %s, not the SFTP log group %q", dest, logGroup)
	}
	loggingRole := refOf(srv["LoggingRole"])
	for _, st := range statementsOf(doc, loggingRole) {
		text, _ := json.Marshal(st)
		if !strings.Contains(string(text), logGroup) {
			t.Errorf("the logging role reaches beyond its log group: %s", text)
		}
	}

	users := map[string]resource{}
	for _, u := range resources(doc, "AWS::Transfer::User") {
		users[u.Props["UserName"].(string)] = u
	}
	if len(users) != 2 {
		t.Fatalf("users %v", users)
	}
	for sys, keys := range p.SFTPKeys {
		u := users[sys].Props
		if u["HomeDirectoryType"] != "LOGICAL" || !slices.Equal(strs(u["SshPublicKeys"]), keys) {
			t.Errorf("%s: home type %v, keys %v", sys, u["HomeDirectoryType"], u["SshPublicKeys"])
		}
		maps := asList(u["HomeDirectoryMappings"])
		mapping, _ := json.Marshal(maps)
		if len(maps) != 1 || maps[0].(map[string]any)["Entry"] != "/" || !strings.Contains(string(mapping), `/batches/`+sys+`"`) {
			t.Errorf("%s: home mapping %s, want / to its batches/%s folder only", sys, mapping, sys)
		}

		// Its role: trusted by Transfer Family for this account only; reaches only its folder.
		roleID := refOf(u["Role"])
		var role resource
		for _, r := range resources(doc, "AWS::IAM::Role") {
			if r.ID == roleID {
				role = r
			}
		}
		trust, _ := json.Marshal(role.Props["AssumeRolePolicyDocument"])
		if !strings.Contains(string(trust), "transfer.amazonaws.com") || !strings.Contains(string(trust), "aws:SourceAccount") {
			t.Errorf("%s's role trust: %s", sys, trust)
		}
		folder := "batches/" + sys + "/"
		var write, denyReports, list bool
		for _, st := range statementsOf(doc, roleID) {
			text, _ := json.Marshal(st)
			for other := range p.SFTPKeys {
				if other != sys && strings.Contains(string(text), "batches/"+other+"/") {
					t.Errorf("%s's SFTP role reaches %s's folder: %s", sys, other, text)
				}
			}
			if strings.Contains(string(text), "inbound/") || strings.Contains(string(text), `"Resource":"*"`) {
				t.Errorf("%s's SFTP role reaches beyond its folder: %s", sys, text)
			}
			actions := strs(st["Action"])
			switch {
			case st["Effect"] == "Deny" && contains(actions, "s3:PutObject") && strings.Contains(string(text), folder+"reports/*"):
				denyReports = true
			case contains(actions, "s3:PutObject") && strings.Contains(string(text), folder+"*"):
				write = true
			case contains(actions, "s3:ListBucket"):
				list = strings.Contains(string(text), `"s3:prefix"`) && strings.Contains(string(text), folder)
			case contains(actions, "s3:GetObject") && strings.Contains(string(text), folder+"*"):
			case contains(actions, "kms:GenerateDataKey") && strings.Contains(string(text), "kms:ViaService"):
			default:
				t.Errorf("%s's SFTP role has another statement: %s", sys, text)
			}
		}
		if !write || !denyReports || !list {
			t.Errorf("%s's SFTP role: write %v, reports denied %v, list only its folder %v", sys, write, denyReports, list)
		}
	}
	check(t, "cdk-nag finds nothing with SFTP on", func() {
		for _, m := range *assertions.Annotations_FromStack(stack).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
			t.Errorf("cdk-nag: %s %v", *m.Id, m.Entry.Data)
		}
	})
}

func TestSFTPSettingsAreChecked(t *testing.T) {
	dir := fakeAssets(t)
	t.Cleanup(func() { os.RemoveAll(dir) })
	for name, keys := range map[string]map[string][]string{
		"no users":         nil,
		"no key":           {"billing": {}},
		"bad system":       {"Billing": {billingKey1}},
		"reports":          {"reports": {billingKey1}},
		"not a key":        {"billing": {"billing-export"}},
		"unknown type":     {"billing": {"ssh-dss AAAAB3NzaC1kc3M= old"}},
		"body of another":  {"billing": {"ssh-rsa " + strings.Fields(billingKey1)[1]}},
		"broken base64":    {"billing": {"ssh-ed25519 AAAA*not-base64"}},
		"one good one bad": {"billing": {billingKey1, "ssh-ed25519"}},
	} {
		p := testProps(dir)
		p.SFTP, p.SFTPKeys = true, keys
		if err := p.WithDefaults().Validate(); err == nil || !strings.Contains(err.Error(), "SFTP") {
			t.Errorf("%s: %v", name, err)
		}
	}
	p := testProps(dir)
	p.SFTP, p.SFTPKeys = true, map[string][]string{"billing": {billingKey1, billingKey2}}
	if err := p.WithDefaults().Validate(); err != nil {
		t.Errorf("good keys: %v", err)
	}
}
