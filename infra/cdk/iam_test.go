package cdk

import (
	"slices"
	"strings"
	"testing"

	"github.com/council/cfp/infra/wiring"
)

// roleStatements are the identity-policy statements of a wiring function's role.
func roleStatements(t *testing.T, doc map[string]any, name string) []map[string]any {
	t.Helper()
	return statementsOf(doc, refOf(lambdaOf(t, doc, name).Props["Role"]))
}

func allows(sts []map[string]any, action string) bool {
	return slices.ContainsFunc(sts, func(st map[string]any) bool { return slices.Contains(strs(st["Action"]), action) })
}

func TestRolesLackTheActionsTheirCodeNeverCalls(t *testing.T) {
	_, doc := synth(t)
	for _, c := range []struct{ fn, action string }{
		{"submit-request", "s3:GetObject"},     // it signs uploads and lists; it never reads evidence
		{"scan-upload", "s3:PutObjectTagging"}, // only GuardDuty writes the verdict
		{"scan-upload", "dynamodb:DeleteItem"},
		// approval updates (slides) and deletes (takes) staff sessions and sign-ins since issue 15.
		{"publish-document", "dynamodb:DeleteItem"},
		{"notify", "s3:GetObject"},
		{"site", "dynamodb:GetItem"},
	} {
		if allows(roleStatements(t, doc, c.fn), c.action) {
			t.Errorf("%s's role allows %s, which its code never calls", c.fn, c.action)
		}
	}
	for _, f := range wiring.Functions {
		// BatchGetItem is called (a sliding window's two buckets are read at once, shared/store
		// limit.go) and is listed only where the wiring's access says so (infra/wiring calls_test.go).
		for _, never := range []string{"dynamodb:BatchWriteItem", "dynamodb:Scan", "ses:SendRawEmail"} {
			if allows(roleStatements(t, doc, f.Name), never) {
				t.Errorf("%s's role allows %s, which no function calls", f.Name, never)
			}
		}
	}
}

func TestTableAccessIsLimitedToTheKeysEachFunctionMakes(t *testing.T) {
	_, doc := synth(t)
	for _, f := range wiring.Functions {
		if len(f.Access.Table) == 0 {
			continue
		}
		var table map[string]any
		for _, st := range roleStatements(t, doc, f.Name) {
			if allows([]map[string]any{st}, string(f.Access.Table[0])) {
				table = st
			}
		}
		if table == nil {
			t.Errorf("%s: no statement allows %s", f.Name, f.Access.Table[0])
			continue
		}
		if got := strs(jsonPath(table, "Condition", "ForAllValues:StringLike", "dynamodb:LeadingKeys")); !slices.Equal(got, f.Access.Keys) {
			t.Errorf("%s: table statement limited to leading keys %q; want %q", f.Name, got, f.Access.Keys)
		}
		if strings.Contains(jsonOf(table["Resource"]), "/index/") {
			t.Errorf("%s: the keys condition is applied to the indexes, whose partition key LeadingKeys does not describe", f.Name)
		}
	}
}

func TestScanUploadMayNotWriteTagsAndOnlyGuardDutyIsExemptFromTheTagDeny(t *testing.T) {
	_, doc := synth(t)
	scanRole := refOf(lambdaOf(t, doc, "scan-upload").Props["Role"])
	gdRole := refOf(resources(doc, "AWS::GuardDuty::MalwareProtectionPlan")[0].Props["Role"])
	uploads := bucketIDFor(t, doc, wiring.UploadsBucket)
	var tagDeny map[string]any
	for _, pol := range resources(doc, "AWS::S3::BucketPolicy") {
		if refOf(pol.Props["Bucket"]) != uploads {
			continue
		}
		for _, st := range asList(jsonPath(pol.Props, "PolicyDocument", "Statement")) {
			sm := st.(map[string]any)
			if sm["Effect"] == "Deny" && slices.Contains(strs(sm["Action"]), "s3:PutObjectTagging") {
				tagDeny = sm
			}
		}
	}
	if tagDeny == nil {
		t.Fatal("the uploads bucket does not deny writing tags")
	}
	var exempt []string
	for _, e := range asList(jsonPath(tagDeny, "Condition", "ArnNotEquals", "aws:PrincipalArn")) {
		exempt = append(exempt, refOf(e))
	}
	if !slices.Equal(exempt, []string{gdRole}) {
		t.Errorf("principals that may write tags: %v; want only GuardDuty's role %s (not scan-upload's %s)", exempt, gdRole, scanRole)
	}
	for _, a := range []string{"s3:PutObjectTagging", "s3:PutObjectVersionTagging", "s3:DeleteObjectTagging"} {
		if allows(statementsOf(doc, scanRole), a) {
			t.Errorf("scan-upload's role allows %s", a)
		}
	}
}

// TestReviewersLinksReachRenditionsOnly: approval signs the reviewers' links with its own role, so
// its role reads renditions (one version of one) and no upload (issue 16).
func TestReviewersLinksReachRenditionsOnly(t *testing.T) {
	_, doc := synth(t)
	var reads []string
	for _, st := range roleStatements(t, doc, "approval") {
		if allows([]map[string]any{st}, "s3:GetObject") || allows([]map[string]any{st}, "s3:GetObjectVersion") {
			reads = append(reads, jsonOf(st["Resource"]))
		}
	}
	// Besides renditions, it reads back only the subject-access exports it wrote (their links).
	if len(reads) != 2 || !strings.Contains(reads[0]+reads[1], "/renditions/*") || !strings.Contains(reads[0]+reads[1], "/exports/*") ||
		strings.Contains(reads[0]+reads[1], "evidence/") {
		t.Errorf("approval reads objects at %v; want renditions/* and exports/* only", reads)
	}
}

// TestExportsAreWrittenToTheDocumentsBucketOnlyUnderExports: the approval function writes one
// thing to S3, a subject-access export, under exports/ of the documents bucket, which a lifecycle
// rule empties after a day (checkDocumentRetention).
func TestExportsAreWrittenToTheDocumentsBucketOnlyUnderExports(t *testing.T) {
	_, doc := synth(t)
	documents := bucketIDFor(t, doc, wiring.DocumentsBucket)
	var writes []string
	for _, st := range roleStatements(t, doc, "approval") {
		if allows([]map[string]any{st}, "s3:PutObject") {
			writes = append(writes, jsonOf(st["Resource"]))
		}
	}
	if len(writes) != 1 || !strings.Contains(writes[0], "/exports/*") || !strings.Contains(writes[0], documents) {
		t.Errorf("approval writes objects at %v; want the documents bucket's exports/* only", writes)
	}
}

func TestScanUploadHasReservedConcurrency(t *testing.T) {
	_, doc := synth(t)
	for _, f := range wiring.Functions {
		got := lambdaOf(t, doc, f.Name).Props["ReservedConcurrentExecutions"]
		switch {
		case f.Name == "scan-upload" && got != float64(DefaultScanUploadConcurrency):
			t.Errorf("scan-upload reserved concurrency %v; want the default %d", got, DefaultScanUploadConcurrency)
		case f.Name != "scan-upload" && reservedConcurrency[f.Name] == 0 && got != nil:
			t.Errorf("%s reserves concurrency %v", f.Name, got)
		}
	}
}

func TestBucketsAreEncryptedWithTheStacksKey(t *testing.T) {
	_, doc := synth(t)
	keys := resources(doc, "AWS::KMS::Key")
	var bucketKey string
	for _, k := range keys {
		if strings.Contains(jsonOf(k.Props["Description"]), "buckets") {
			bucketKey = k.ID
			if k.Props["EnableKeyRotation"] != true {
				t.Errorf("bucket key %s does not rotate", k.ID)
			}
		}
	}
	if bucketKey == "" {
		t.Fatal("no KMS key for the buckets")
	}
	for _, setting := range []wiring.Bucket{wiring.UploadsBucket, wiring.DocumentsBucket} {
		id := bucketIDFor(t, doc, setting)
		for _, b := range resources(doc, "AWS::S3::Bucket") {
			if b.ID != id {
				continue
			}
			rule := asList(jsonPath(b.Props, "BucketEncryption", "ServerSideEncryptionConfiguration"))[0]
			sse := jsonPath(rule, "ServerSideEncryptionByDefault")
			if jsonPath(sse, "SSEAlgorithm") != "aws:kms" || !mentions(jsonPath(sse, "KMSMasterKeyID"), bucketKey) {
				t.Errorf("%s bucket encryption %s; want aws:kms with the bucket key", setting, jsonOf(sse))
			}
			if jsonPath(rule, "BucketKeyEnabled") != true {
				t.Errorf("%s bucket has bucket keys off", setting)
			}
		}
	}
	// Each function may use the key only through S3, for the buckets it reads or writes.
	for _, f := range wiring.Functions {
		for _, st := range roleStatements(t, doc, f.Name) {
			if !strings.HasPrefix(strs(st["Action"])[0], "kms:") {
				continue
			}
			if !mentions(st["Resource"], bucketKey) {
				t.Errorf("%s: key statement on %s; want the bucket key", f.Name, jsonOf(st["Resource"]))
			}
			if via := jsonOf(jsonPath(st, "Condition", "StringEquals", "kms:ViaService")); !strings.Contains(via, "s3.") {
				t.Errorf("%s: key statement not limited to S3: %s", f.Name, jsonOf(st))
			}
			if jsonPath(st, "Condition", "StringLike", "kms:EncryptionContext:aws:s3:arn") == nil {
				t.Errorf("%s: key statement not limited to its buckets: %s", f.Name, jsonOf(st))
			}
		}
	}
	// GuardDuty scans (decrypts) the evidence and writes its validation object (a data key).
	gdRole := refOf(resources(doc, "AWS::GuardDuty::MalwareProtectionPlan")[0].Props["Role"])
	found := false
	for _, st := range statementsOf(doc, gdRole) {
		acts := strs(st["Action"])
		if slices.Contains(acts, "kms:Decrypt") && slices.Contains(acts, "kms:GenerateDataKey") && mentions(st["Resource"], bucketKey) {
			found = true
			if !strings.Contains(jsonOf(jsonPath(st, "Condition", "StringEquals", "kms:ViaService")), "s3.") {
				t.Errorf("GuardDuty's key statement is not limited to S3: %s", jsonOf(st))
			}
		}
	}
	if !found {
		t.Error("GuardDuty's role cannot decrypt the uploads to scan them")
	}
}

func TestTheTopicKeysServiceGrantsNameTheirSource(t *testing.T) {
	_, doc := synth(t)
	services := 0
	for _, k := range resources(doc, "AWS::KMS::Key") {
		for _, st := range asList(jsonPath(k.Props, "KeyPolicy", "Statement")) {
			service := jsonPath(st, "Principal", "Service")
			if service == nil {
				continue
			}
			services++
			if jsonPath(st, "Condition", "StringEquals", "aws:SourceAccount") == nil || jsonPath(st, "Condition", "ArnLike", "aws:SourceArn") == nil {
				t.Errorf("key %s grants %v without aws:SourceAccount and aws:SourceArn: %s", k.ID, service, jsonOf(st))
			}
		}
	}
	if services < 2 {
		t.Errorf("%d service grants in key policies; want SES's and CloudWatch's", services)
	}
}

// The staff identity provider's client secret stays in Secrets Manager: the function that signs
// staff in is told only its ARN, and its role may read that one secret and nothing else there. The
// sign-in code key is a secret the stack makes (generated, under the AWS managed key): account is
// told its ARN and may read it and no other secret; no other function may read it.
func TestOnlyTheStaffFunctionMayReadTheStaffSecretAndNoOtherSecret(t *testing.T) {
	_, doc := synth(t)
	keys := resources(doc, "AWS::SecretsManager::Secret")
	if len(keys) != 1 || jsonPath(keys[0].Props, "GenerateSecretString", "PasswordLength") != float64(64) || keys[0].Props["KmsKeyId"] != nil {
		t.Fatalf("secrets the stack makes: %s; want the sign-in code key alone, generated, under the AWS managed key", jsonOf(keys))
	}
	keyRef := `{"Ref":"` + keys[0].ID + `"}`
	for _, f := range wiring.Functions {
		sts := roleStatements(t, doc, f.Name)
		var reads []map[string]any
		for _, st := range sts {
			for _, a := range strs(st["Action"]) {
				if strings.HasPrefix(a, "secretsmanager:") {
					reads = append(reads, st)
					if a != string(wiring.GetSecretValue) {
						t.Errorf("%s's role allows %s", f.Name, a)
					}
				}
			}
		}
		env := jsonPath(lambdaOf(t, doc, f.Name).Props, "Environment", "Variables").(map[string]any)
		if f.Name == "signin" {
			if len(reads) != 1 || jsonOf(reads[0]["Resource"]) != keyRef || reads[0]["Condition"] != nil {
				t.Errorf("signin's role reads secrets %s; want GetSecretValue on the sign-in code key %s only", jsonOf(reads), keyRef)
			}
			if jsonOf(env[string(wiring.SignInKey)]) != keyRef {
				t.Errorf("signin is told %s=%s; want the key's ARN %s", wiring.SignInKey, jsonOf(env[string(wiring.SignInKey)]), keyRef)
			}
			continue
		}
		staffFn := slices.Contains(f.Settings, wiring.StaffIssuer)
		if !staffFn {
			if len(reads) > 0 {
				t.Errorf("%s's role may read secrets: %s", f.Name, jsonOf(reads))
			}
			continue
		}
		if len(reads) != 1 || jsonOf(reads[0]["Resource"]) != `"`+testSecretARN+`"` || reads[0]["Condition"] != nil {
			t.Errorf("%s's role reads secrets %s; want GetSecretValue on %s only", f.Name, jsonOf(reads), testSecretARN)
		}
		if env[string(wiring.StaffClientSecret)] != testSecretARN {
			t.Errorf("%s is told %s=%v; want the secret's ARN", f.Name, wiring.StaffClientSecret, env[string(wiring.StaffClientSecret)])
		}
		if env[string(wiring.StaffIssuer)] != testIssuer || env[string(wiring.StaffClientID)] != "cfp-portal" || env[string(wiring.StaffGroups)] != testGroups {
			t.Errorf("%s's identity provider settings: %v", f.Name, env)
		}
	}
}
