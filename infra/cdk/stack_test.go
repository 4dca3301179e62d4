package cdk

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/council/cfp/infra/wiring"
	"github.com/council/cfp/shared/store"
)

// One synthesized stack is shared by every assertion: a synth costs seconds, not milliseconds.
var (
	synthOnce sync.Once
	synthed   struct {
		stack    awscdk.Stack
		template assertions.Template
		doc      map[string]any // the template as plain JSON
		err      any
	}
	assetDir string
)

func TestMain(m *testing.M) {
	QuietJSII()
	code := m.Run()
	if assetDir != "" {
		os.RemoveAll(assetDir)
	}
	jsii.Close()
	os.Exit(code)
}

// fakeAssets makes a directory with a dummy bootstrap per wiring function, as make build would.
func fakeAssets(t testing.TB) string {
	dir, err := os.MkdirTemp("", "cfp-cdk-assets-")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range wiring.Functions {
		if err := os.MkdirAll(filepath.Join(dir, f.Name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name, "bootstrap"), []byte("not a real binary"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// The staff identity provider's settings, which every deployment needs.
const (
	testIssuer    = "https://login.microsoftonline.com/00000000-0000-4000-8000-000000000000/v2.0"
	testSecretARN = "arn:aws:secretsmanager:eu-west-2:111122223333:secret:cfp/staff-oidc-client-AbCdEf"
	testGroups    = "11111111-0000-4000-8000-000000000001=reviewer,11111111-0000-4000-8000-000000000002=support"
)

func staffSignIn(p StackProps) StackProps {
	p.StaffIssuer, p.StaffClientID, p.StaffClientSecretARN, p.StaffRoleGroups = testIssuer, "cfp-portal", testSecretARN, testGroups
	return p
}

func testProps(assets string) StackProps {
	return staffSignIn(StackProps{
		AssetRoot:             assets,
		MailFrom:              "no-reply@mail.council.example",
		MailDomain:            "council.example",
		Reviewers:             []string{"client.finance@council.example", "cfs.lead@council.example"},
		PortalURL:             "https://portal.council.example",
		APIDomainName:         "portal.council.example",
		APICertificateARN:     "arn:aws:acm:eu-west-2:111122223333:certificate/0a1b2c3d-0000-4000-8000-000000000000",
		StaffCIDRs:            []string{"192.0.2.0/24", "198.51.100.7/32", "2001:db8::/32"},
		AlarmEmail:            "ops@council.example",
		EvidenceRetentionDays: 60,
		DocumentRetentionDays: 2190,
		RejectedRetentionDays: 45,
		CouncilName:           "Example Borough Council",
		ContactPhone:          "020 7946 0000",
		ContactEmail:          "client.finance@council.example",
		LogoURL:               "/assets/logo.svg",
		SendingSystems:        []string{"billing", "finance"},
	})
}

// synth builds the shared stack once; every test that needs it calls this.
func synth(t *testing.T) (assertions.Template, map[string]any) {
	t.Helper()
	synthOnce.Do(func() {
		defer func() { synthed.err = recover() }()
		assetDir = fakeAssets(t)
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(filepath.Join(assetDir, "cdk.out"))})
		synthed.stack = NewStack(app, "cfp-test", testProps(assetDir))
		synthed.template = assertions.Template_FromStack(synthed.stack, nil)
		raw, err := json.Marshal(synthed.template.ToJSON())
		if err != nil {
			panic(err)
		}
		if err := json.Unmarshal(raw, &synthed.doc); err != nil {
			panic(err)
		}
	})
	if synthed.err != nil {
		t.Fatalf("synth failed: %v", synthed.err)
	}
	return synthed.template, synthed.doc
}

// check runs a jsii assertion, which panics on failure, and reports the failure through t.
func check(t *testing.T, what string, assertion func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	assertion()
}

// --- helpers over the plain JSON template ---

type resource struct {
	ID    string
	Type  string
	Props map[string]any
	Raw   map[string]any
}

func resources(doc map[string]any, typ string) []resource {
	var out []resource
	for id, r := range doc["Resources"].(map[string]any) {
		rm := r.(map[string]any)
		if rm["Type"] == typ {
			props, _ := rm["Properties"].(map[string]any)
			out = append(out, resource{ID: id, Type: typ, Props: props, Raw: rm})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// mentions reports whether v refers to the logical id (Ref or GetAtt).
func mentions(v any, id string) bool {
	s := jsonOf(v)
	return strings.Contains(s, `"Ref":"`+id+`"`) || strings.Contains(s, `"Fn::GetAtt":["`+id+`"`)
}

func refOf(v any) string {
	if m, ok := v.(map[string]any); ok {
		if r, ok := m["Ref"].(string); ok {
			return r
		}
		if ga, ok := m["Fn::GetAtt"].([]any); ok {
			return ga[0].(string)
		}
	}
	return ""
}

func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func tagged(r resource, name string) bool {
	for _, tg := range asList(r.Props["Tags"]) {
		m := tg.(map[string]any)
		if m["Key"] == FunctionTag && m["Value"] == name {
			return true
		}
	}
	return false
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

// lambdaOf finds the Lambda of a wiring function by its tag.
func lambdaOf(t *testing.T, doc map[string]any, name string) resource {
	t.Helper()
	for _, r := range resources(doc, "AWS::Lambda::Function") {
		if tagged(r, name) {
			return r
		}
	}
	t.Fatalf("no Lambda function for wiring entry %q", name)
	return resource{}
}

// statementsOf returns every identity-policy statement attached to a role.
func statementsOf(doc map[string]any, roleID string) []map[string]any {
	var out []map[string]any
	add := func(pd any) {
		for _, st := range asList(pd.(map[string]any)["Statement"]) {
			out = append(out, st.(map[string]any))
		}
	}
	for _, p := range resources(doc, "AWS::IAM::Policy") {
		for _, r := range asList(p.Props["Roles"]) {
			if refOf(r) == roleID {
				add(p.Props["PolicyDocument"])
			}
		}
	}
	for _, r := range resources(doc, "AWS::IAM::Role") {
		if r.ID == roleID {
			for _, p := range asList(r.Props["Policies"]) {
				add(p.(map[string]any)["PolicyDocument"])
			}
		}
	}
	return out
}

func bucketIDFor(t *testing.T, doc map[string]any, setting wiring.Bucket) string {
	t.Helper()
	for _, f := range wiring.Functions {
		if slices.Contains(f.Settings, setting) {
			env := lambdaOf(t, doc, f.Name).Props["Environment"].(map[string]any)["Variables"].(map[string]any)
			if id := refOf(env[string(setting)]); id != "" {
				return id
			}
		}
	}
	t.Fatalf("no function names bucket %s", setting)
	return ""
}

// --- functions ---

func TestEveryWiringFunctionHasALambdaWithExactlyItsSettings(t *testing.T) {
	_, doc := synth(t)
	if got, want := len(resources(doc, "AWS::Lambda::Function")), len(wiring.Functions)+1; got != want {
		t.Errorf("%d Lambda functions; want one per wiring entry plus CDK's notification handler (%d)", got, want)
	}
	tables := resources(doc, "AWS::DynamoDB::Table")
	for _, f := range wiring.Functions {
		fn := lambdaOf(t, doc, f.Name)
		p := fn.Props
		if p["Runtime"] != "provided.al2023" || jsonOf(p["Architectures"]) != `["arm64"]` || p["Handler"] != "bootstrap" {
			t.Errorf("%s: runtime %v %v handler %v; want provided.al2023 arm64 bootstrap", f.Name, p["Runtime"], p["Architectures"], p["Handler"])
		}
		if jsonOf(p["TracingConfig"]) != `{"Mode":"Active"}` {
			t.Errorf("%s: X-Ray tracing %v; want Active", f.Name, p["TracingConfig"])
		}
		if p["MemorySize"] != float64(f.MemoryMB) || p["Timeout"] != f.Timeout.Seconds() {
			t.Errorf("%s: memory %v timeout %v; want %d MB, %v s", f.Name, p["MemorySize"], p["Timeout"], f.MemoryMB, f.Timeout.Seconds())
		}
		logGroup := refOf(p["LoggingConfig"].(map[string]any)["LogGroup"])
		for _, lg := range resources(doc, "AWS::Logs::LogGroup") {
			if lg.ID == logGroup && lg.Props["RetentionInDays"] == nil {
				t.Errorf("%s: its log group keeps logs forever", f.Name)
			}
		}
		if logGroup == "" {
			t.Errorf("%s: no log group of its own", f.Name)
		}

		env := p["Environment"].(map[string]any)["Variables"].(map[string]any)
		var got, want []string
		for k := range env {
			got = append(got, k)
		}
		// Branding left unset is left out, so the function takes its default.
		unset := map[wiring.Setting]bool{wiring.InsecureCookies: true, wiring.S3PathStyle: true,
			wiring.CouncilURL: true, wiring.ServiceName: true, wiring.OpeningHours: true, wiring.PrivacyURL: true, wiring.AccessibilityURL: true}
		for _, s := range f.Settings {
			if !unset[s] {
				want = append(want, string(s))
			}
		}
		sort.Strings(got)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: environment %v; want exactly %v", f.Name, got, want)
		}
		for _, local := range []wiring.Setting{wiring.InsecureCookies, wiring.S3PathStyle} {
			if _, set := env[string(local)]; set {
				t.Errorf("%s: %s is set in AWS", f.Name, local)
			}
		}
		if v, ok := env[string(wiring.TableName)]; ok && refOf(v) != tables[0].ID {
			t.Errorf("%s: TABLE_NAME = %v; want the table", f.Name, v)
		}
		if v, ok := env[string(wiring.EvidenceDays)]; ok && v != "60" {
			t.Errorf("%s: EVIDENCE_RETENTION_DAYS = %v; want the bucket's", f.Name, v)
		}
		if v, ok := env[string(wiring.CouncilName)]; ok && v != "Example Borough Council" {
			t.Errorf("%s: COUNCIL_NAME = %v", f.Name, v)
		}
		if v, ok := env[string(wiring.MailFrom)]; ok && v != "no-reply@mail.council.example" {
			t.Errorf("%s: MAIL_FROM = %v", f.Name, v)
		}
		if v, ok := env[string(wiring.Reviewers)]; ok && v != "client.finance@council.example,cfs.lead@council.example" {
			t.Errorf("%s: REVIEWERS = %v", f.Name, v)
		}
	}
}

func TestEveryBucketSettingNamesItsOwnBucket(t *testing.T) {
	_, doc := synth(t)
	uploads, documents := bucketIDFor(t, doc, wiring.UploadsBucket), bucketIDFor(t, doc, wiring.DocumentsBucket)
	if uploads == documents {
		t.Fatalf("uploads and documents are the same bucket %s", uploads)
	}
	for _, f := range wiring.Functions {
		env := lambdaOf(t, doc, f.Name).Props["Environment"].(map[string]any)["Variables"].(map[string]any)
		for setting, id := range map[wiring.Setting]string{wiring.UploadsBucket: uploads, wiring.DocumentsBucket: documents} {
			if v, ok := env[string(setting)]; ok && refOf(v) != id {
				t.Errorf("%s: %s = %v; want bucket %s", f.Name, setting, v, id)
			}
		}
	}
}

// --- API ---

// methodPaths maps each API Gateway method to "METHOD /path".
func methodPaths(doc map[string]any) map[string]resource {
	paths := map[string]string{}
	res := resources(doc, "AWS::ApiGateway::Resource")
	var pathOf func(id string) string
	pathOf = func(id string) string {
		if p, ok := paths[id]; ok {
			return p
		}
		for _, r := range res {
			if r.ID == id {
				parent := refOf(r.Props["ParentId"])
				prefix := ""
				if parent != "" && !strings.Contains(jsonOf(r.Props["ParentId"]), "RootResourceId") {
					prefix = pathOf(parent)
				}
				paths[id] = prefix + "/" + r.Props["PathPart"].(string)
				return paths[id]
			}
		}
		return ""
	}
	out := map[string]resource{}
	for _, m := range resources(doc, "AWS::ApiGateway::Method") {
		path := "/"
		if !strings.Contains(jsonOf(m.Props["ResourceId"]), "RootResourceId") {
			path = pathOf(refOf(m.Props["ResourceId"]))
		}
		out[m.Props["HttpMethod"].(string)+" "+path] = m
	}
	return out
}

func TestEveryRouteIsAMethodProxiedToItsFunction(t *testing.T) {
	_, doc := synth(t)
	methods := methodPaths(doc)
	routes := map[string]bool{}
	for _, f := range wiring.Functions {
		fn := lambdaOf(t, doc, f.Name)
		for _, r := range f.Routes {
			key := r.Method + " " + r.Path
			routes[key] = true
			m, ok := methods[key]
			if !ok {
				t.Errorf("route %s (%s) has no API Gateway method", key, f.Name)
				continue
			}
			integ := m.Props["Integration"].(map[string]any)
			if integ["Type"] != "AWS_PROXY" || !mentions(integ["Uri"], fn.ID) {
				t.Errorf("%s: integration %s; want AWS_PROXY to %s", key, jsonOf(integ), f.Name)
			}
		}
	}
	for key := range methods {
		if !routes[key] {
			t.Errorf("method %s is not in the wiring", key)
		}
	}
}

func TestStageIsThrottledLoggedAndRecordsNoTokens(t *testing.T) {
	_, doc := synth(t)
	stages := resources(doc, "AWS::ApiGateway::Stage")
	if len(stages) != 1 {
		t.Fatalf("%d stages; want 1", len(stages))
	}
	p := stages[0].Props
	// Stage traces record every request's full URL, tokens and all.
	if p["StageName"] != StageName || p["TracingEnabled"] != false {
		t.Errorf("stage %v tracing %v; want X-Ray tracing off", p["StageName"], p["TracingEnabled"])
	}
	settings := asList(p["MethodSettings"])[0].(map[string]any)
	if settings["ThrottlingRateLimit"] != float64(DefaultThrottleRatePerSecond) || settings["ThrottlingBurstLimit"] != float64(DefaultThrottleBurst) {
		t.Errorf("throttling %v", jsonOf(settings))
	}
	if settings["DataTraceEnabled"] != false || settings["LoggingLevel"] != "ERROR" {
		t.Errorf("execution logging %v; want errors only, no data trace (it would log tokens)", jsonOf(settings))
	}
	format, _ := p["AccessLogSetting"].(map[string]any)["Format"].(string)
	if !strings.Contains(format, "$context.resourcePath") {
		t.Errorf("access log format %q; want the route template", format)
	}
	// Neither the request path nor anything that can carry the query string or headers.
	for _, leak := range []string{"$context.path", "$context.requestOverride", "$context.responseOverride", "$input", "$method.request", "$context.authorizer"} {
		if strings.Contains(format, leak) {
			t.Errorf("access log format %q logs %s, which carries tokens", format, leak)
		}
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(format), &line); err != nil {
		t.Errorf("access log format is not JSON: %v", err)
	}
}

// The pages and the API are one site, so the API answers no CORS preflight at all; only the
// uploads, which go to another origin (S3), allow the portal's.
func TestCORSAllowsOnlyThePortal(t *testing.T) {
	_, doc := synth(t)
	for key := range methodPaths(doc) {
		if strings.HasPrefix(key, "OPTIONS ") {
			t.Errorf("%s: the API answers a CORS preflight, but the portal calls it from its own origin", key)
		}
	}
	for _, b := range resources(doc, "AWS::S3::Bucket") {
		for _, rule := range asList(jsonPath(b.Props, "CorsConfiguration", "CorsRules")) {
			if got := jsonOf(rule.(map[string]any)["AllowedOrigins"]); got != `["https://portal.council.example"]` {
				t.Errorf("bucket %s CORS origins %s; want the portal only", b.ID, got)
			}
		}
	}
}

func jsonPath(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// wafDescription is the pattern AWS WAF holds an IP set's description to.
var wafDescription = regexp.MustCompile(`^[a-zA-Z0-9=:#@/\-,.][a-zA-Z0-9+=:#@/\-,.\s]+[a-zA-Z0-9+=:#@/\-,.]{1,256}$`)

func TestFirewallGuardsTheStage(t *testing.T) {
	tmpl, doc := synth(t)
	acls := resources(doc, "AWS::WAFv2::WebACL")
	if len(acls) != 1 {
		t.Fatalf("%d web ACLs; want 1", len(acls))
	}
	acl := acls[0]
	rules := jsonOf(acl.Props["Rules"])
	for _, want := range []string{`"Name":"AWSManagedRulesCommonRuleSet","VendorName":"AWS"`, `"RateBasedStatement":{"AggregateKeyType":"IP"`} {
		if !strings.Contains(rules, want) {
			t.Errorf("web ACL rules lack %s", want)
		}
	}
	stage := resources(doc, "AWS::ApiGateway::Stage")[0]
	check(t, "WAF association", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::WAFv2::WebACLAssociation"), &map[string]any{
			"WebACLArn":   map[string]any{"Fn::GetAtt": []any{acl.ID, "Arn"}},
			"ResourceArn": assertions.Match_ObjectLike(&map[string]any{"Fn::Join": assertions.Match_ArrayWith(&[]any{assertions.Match_ArrayWith(&[]any{map[string]any{"Ref": stage.ID}})})}),
		})
	})
	// The staff allow-list: one IP set per address family, referenced by a rule that blocks
	// /review from anywhere else.
	sets := resources(doc, "AWS::WAFv2::IPSet")
	var addrs []string
	for _, s := range sets {
		addrs = append(addrs, strs(s.Props["Addresses"])...)
		// WAF refuses any other description, and only when the stack deploys.
		if d, _ := s.Props["Description"].(string); !wafDescription.MatchString(d) {
			t.Errorf("IP set %s: WAF refuses the description %q", s.ID, d)
		}
		if !strings.Contains(rules, s.ID) {
			t.Errorf("IP set %s is not used by the web ACL", s.ID)
		}
	}
	sort.Strings(addrs)
	if want := []string{"192.0.2.0/24", "198.51.100.7/32", "2001:db8::/32"}; !slices.Equal(addrs, want) {
		t.Errorf("staff IP sets hold %v; want %v", addrs, want)
	}
	// The staff pages are blocked from anywhere else.
	guarded := false
	for _, r := range asList(acl.Props["Rules"]) {
		st := jsonPath(r, "Statement", "AndStatement", "Statements")
		if jsonPath(r, "Action", "Block") == nil || len(asList(st)) != 2 {
			continue
		}
		match, not := asList(st)[0], asList(st)[1]
		if jsonPath(match, "RegexMatchStatement", "RegexString") == staffPathPattern() && jsonPath(not, "NotStatement") != nil {
			for _, s := range sets {
				if !strings.Contains(jsonOf(not), s.ID) {
					t.Errorf("the staff rule does not let IP set %s through", s.ID)
				}
			}
			guarded = true
		}
	}
	if !guarded || !strings.Contains(staffPathPattern(), "/staff") {
		t.Errorf("no rule blocks the staff pages %v (%s) outside the staff networks: %s", StaffPrefixes(), staffPathPattern(), rules)
	}
}

// --- data ---

func TestTableComesFromStoreSchema(t *testing.T) {
	_, doc := synth(t)
	tables := resources(doc, "AWS::DynamoDB::Table")
	if len(tables) != 1 {
		t.Fatalf("%d tables; want the single table", len(tables))
	}
	tb := tables[0]
	p := tb.Props
	s := store.Schema
	if got := jsonOf(p["KeySchema"]); got != fmt.Sprintf(`[{"AttributeName":%q,"KeyType":"HASH"},{"AttributeName":%q,"KeyType":"RANGE"}]`, s.PartitionKey, s.SortKey) {
		t.Errorf("key schema %s", got)
	}
	var gsis []string
	for _, g := range asList(p["GlobalSecondaryIndexes"]) {
		gsis = append(gsis, jsonOf(g))
	}
	for _, ix := range s.Indexes {
		want := fmt.Sprintf(`{"IndexName":%q,"KeySchema":[{"AttributeName":%q,"KeyType":"HASH"},{"AttributeName":%q,"KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}`, ix.Name, ix.PartitionKey, ix.SortKey)
		if !slices.Contains(gsis, want) {
			t.Errorf("index %s missing or different: have %v", ix.Name, gsis)
		}
	}
	if len(gsis) != len(s.Indexes) {
		t.Errorf("%d indexes; store.Schema has %d", len(gsis), len(s.Indexes))
	}
	checks := map[string]string{
		"TimeToLiveSpecification":          fmt.Sprintf(`{"AttributeName":%q,"Enabled":true}`, s.TTLAttribute),
		"PointInTimeRecoverySpecification": `{"PointInTimeRecoveryEnabled":true}`,
		"BillingMode":                      `"PAY_PER_REQUEST"`,
		"DeletionProtectionEnabled":        `true`,
		"SSESpecification":                 `{"SSEEnabled":true}`,
	}
	for k, want := range checks {
		if got := jsonOf(p[k]); got != want {
			t.Errorf("table %s = %s; want %s", k, got, want)
		}
	}
	if tb.Raw["DeletionPolicy"] != "Retain" || tb.Raw["UpdateReplacePolicy"] != "Retain" {
		t.Errorf("table removal policy %v/%v; want Retain", tb.Raw["DeletionPolicy"], tb.Raw["UpdateReplacePolicy"])
	}
}

func TestBucketsArePrivateEncryptedVersionedAndTLSOnly(t *testing.T) {
	_, doc := synth(t)
	buckets := resources(doc, "AWS::S3::Bucket")
	if len(buckets) != 3 {
		t.Errorf("%d buckets; want uploads, documents and access logs", len(buckets))
	}
	policies := resources(doc, "AWS::S3::BucketPolicy")
	for _, b := range buckets {
		p := b.Props
		if got := jsonOf(p["PublicAccessBlockConfiguration"]); got != `{"BlockPublicAcls":true,"BlockPublicPolicy":true,"IgnorePublicAcls":true,"RestrictPublicBuckets":true}` {
			t.Errorf("bucket %s public access block %s", b.ID, got)
		}
		if jsonPath(p, "BucketEncryption", "ServerSideEncryptionConfiguration") == nil {
			t.Errorf("bucket %s is not encrypted", b.ID)
		}
		if jsonOf(p["VersioningConfiguration"]) != `{"Status":"Enabled"}` {
			t.Errorf("bucket %s is not versioned", b.ID)
		}
		if b.Raw["DeletionPolicy"] != "Retain" {
			t.Errorf("bucket %s would be deleted with the stack", b.ID)
		}
		tlsOnly := false
		for _, pol := range policies {
			if refOf(pol.Props["Bucket"]) != b.ID {
				continue
			}
			for _, st := range asList(jsonPath(pol.Props, "PolicyDocument", "Statement")) {
				s := jsonOf(st)
				if strings.Contains(s, `"Effect":"Deny"`) && strings.Contains(s, `"Action":"s3:*"`) && strings.Contains(s, `{"Bool":{"aws:SecureTransport":"false"}}`) {
					tlsOnly = true
				}
			}
		}
		if !tlsOnly {
			t.Errorf("bucket %s accepts plain HTTP", b.ID)
		}
		rules := jsonOf(jsonPath(p, "LifecycleConfiguration", "Rules"))
		if !strings.Contains(rules, "AbortIncompleteMultipartUpload") || !strings.Contains(rules, "NoncurrentVersionExpiration") {
			t.Errorf("bucket %s lifecycle %s; want incomplete uploads and old versions removed", b.ID, rules)
		}
	}
	uploads, documents := bucketIDFor(t, doc, wiring.UploadsBucket), bucketIDFor(t, doc, wiring.DocumentsBucket)
	for _, b := range buckets {
		if b.ID == uploads || b.ID == documents {
			if jsonPath(b.Props, "LoggingConfiguration", "DestinationBucketName") == nil {
				t.Errorf("bucket %s logs no access", b.ID)
			}
		}
		if b.ID == uploads && !strings.Contains(jsonOf(b.Props["LifecycleConfiguration"]), `"ExpirationInDays":60`) {
			t.Errorf("evidence is not deleted after the configured 60 days: %s", jsonOf(b.Props["LifecycleConfiguration"]))
		}
		if b.ID == documents {
			checkDocumentRetention(t, b, testProps(""))
		}
	}
}

// checkDocumentRetention: published documents (copies, and batches' files published in place) and
// rejected drops expire after the council's settings, and nothing else in the documents bucket
// does (inbound/ waits to be published).
func checkDocumentRetention(t *testing.T, b resource, p StackProps) {
	t.Helper()
	p = p.WithDefaults()
	expiring := map[string]float64{}
	for _, r := range asList(jsonPath(b.Props, "LifecycleConfiguration", "Rules")) {
		rm := r.(map[string]any)
		if days, ok := rm["ExpirationInDays"].(float64); ok {
			prefix, _ := rm["Prefix"].(string)
			expiring[prefix] = days
		}
	}
	want := map[string]float64{"published/": float64(p.DocumentRetentionDays), "batches/": float64(p.DocumentRetentionDays), "rejected/": float64(p.RejectedRetentionDays), "exports/": 1}
	if !maps.Equal(expiring, want) {
		t.Errorf("documents bucket expires %v; want %v", expiring, want)
	}
}

func TestEveryNotificationIsConfiguredExactlyAsWired(t *testing.T) {
	_, doc := synth(t)
	type want struct{ bucket, event, prefix, fn string }
	var wanted []want
	for _, f := range wiring.Functions {
		for _, n := range f.Notifications {
			for _, e := range n.Events {
				wanted = append(wanted, want{bucketIDFor(t, doc, n.Bucket), e, n.Prefix, lambdaOf(t, doc, f.Name).ID})
			}
		}
	}
	var got []want
	for _, cr := range resources(doc, "Custom::S3BucketNotifications") {
		bucket := refOf(cr.Props["BucketName"])
		for _, c := range asList(jsonPath(cr.Props, "NotificationConfiguration", "LambdaFunctionConfigurations")) {
			cm := c.(map[string]any)
			prefix := ""
			for _, fr := range asList(jsonPath(cm, "Filter", "Key", "FilterRules")) {
				if fr.(map[string]any)["Name"] == "prefix" {
					prefix = fr.(map[string]any)["Value"].(string)
				}
			}
			for _, e := range strs(cm["Events"]) {
				got = append(got, want{bucket, e, prefix, refOf(cm["LambdaFunctionArn"])})
			}
		}
	}
	key := func(w want) string { return w.bucket + " " + w.event + " " + w.prefix + " " + w.fn }
	var g, w []string
	for _, x := range got {
		g = append(g, key(x))
	}
	for _, x := range wanted {
		w = append(w, key(x))
	}
	sort.Strings(g)
	sort.Strings(w)
	if !slices.Equal(g, w) {
		t.Errorf("bucket notifications\n got %v\nwant %v", g, w)
	}
}

// An S3 event a function still cannot handle after Lambda's retries is kept, not dropped: it goes
// to one encrypted, TLS-only queue that keeps it as long as SQS can, and a message there raises an alarm.
// queueOf finds the queue a stack output names.
func queueOf(t *testing.T, doc map[string]any, output string) resource {
	t.Helper()
	id := refOf(jsonPath(doc, "Outputs", output, "Value"))
	for _, q := range resources(doc, "AWS::SQS::Queue") {
		if q.ID == id {
			return q
		}
	}
	t.Fatalf("output %s names no queue of the stack", output)
	return resource{}
}

// checkDeadLetters checks a queue that keeps what a function could not handle: encrypted, TLS
// only, kept FailedEventDays, and alarmed on its first message.
func checkDeadLetters(t *testing.T, doc map[string]any, q resource) {
	t.Helper()
	if q.Props["SqsManagedSseEnabled"] != true || q.Props["MessageRetentionPeriod"] != float64(FailedEventDays*24*3600) {
		t.Errorf("queue %s: %s", q.ID, jsonOf(q.Props))
	}
	tlsOnly := false
	for _, p := range resources(doc, "AWS::SQS::QueuePolicy") {
		if mentions(p.Props["Queues"], q.ID) && strings.Contains(jsonOf(p.Props), `"aws:SecureTransport":"false"`) {
			tlsOnly = true
		}
	}
	if !tlsOnly {
		t.Errorf("queue %s accepts requests without TLS", q.ID)
	}
	alarmed := false
	for _, a := range resources(doc, "AWS::CloudWatch::Alarm") {
		if a.Props["MetricName"] == "ApproximateNumberOfMessagesVisible" && strings.Contains(jsonOf(a.Props["Dimensions"]), q.ID) &&
			a.Props["Threshold"] == float64(1) && a.Props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold" &&
			len(asList(a.Props["AlarmActions"])) == 1 {
			alarmed = true
		}
	}
	if !alarmed {
		t.Errorf("no alarm when a message waits in queue %s", q.ID)
	}
}

func TestEventsThatStillFailAreKeptAndRaiseAnAlarm(t *testing.T) {
	_, doc := synth(t)
	q := queueOf(t, doc, "FailedEventsQueueUrl")
	checkDeadLetters(t, doc, q)
	configs := map[string]resource{}
	for _, c := range resources(doc, "AWS::Lambda::EventInvokeConfig") {
		configs[refOf(c.Props["FunctionName"])] = c
	}
	for _, f := range wiring.Functions {
		if len(f.Notifications) == 0 {
			continue
		}
		c, ok := configs[lambdaOf(t, doc, f.Name).ID]
		if !ok {
			t.Errorf("%s: S3 invokes it, but a failed event is dropped (no async invoke configuration)", f.Name)
			continue
		}
		if !mentions(jsonPath(c.Props, "DestinationConfig", "OnFailure", "Destination"), q.ID) || c.Props["MaximumRetryAttempts"] != float64(2) {
			t.Errorf("%s: failed events do not go to the queue after 2 retries: %s", f.Name, jsonOf(c.Props))
		}
	}
}

// --- least privilege ---

func TestNoIdentityPolicyGrantsWildcardActions(t *testing.T) {
	_, doc := synth(t)
	var all []map[string]any
	for _, r := range resources(doc, "AWS::IAM::Role") {
		all = append(all, statementsOf(doc, r.ID)...)
		for _, arn := range asList(r.Props["ManagedPolicyArns"]) {
			if strings.Contains(strings.ToLower(jsonOf(arn)), "fullaccess") {
				t.Errorf("role %s has a full-access managed policy %s", r.ID, jsonOf(arn))
			}
		}
	}
	if len(all) == 0 {
		t.Fatal("found no IAM statements")
	}
	for _, st := range all {
		actions := strs(st["Action"])
		for _, a := range actions {
			if strings.Contains(a, "*") {
				t.Errorf("statement grants wildcard action %q: %s", a, jsonOf(st))
			}
		}
		onData := slices.ContainsFunc(actions, func(a string) bool {
			return strings.HasPrefix(a, "s3:") || strings.HasPrefix(a, "dynamodb:") || strings.HasPrefix(a, "ses:")
		})
		if onData && slices.Contains(strs(st["Resource"]), "*") {
			t.Errorf("statement grants data actions on every resource: %s", jsonOf(st))
		}
	}
}

func TestFunctionRolesHoldOnlyWhatTheWiringGrants(t *testing.T) {
	_, doc := synth(t)
	for _, f := range wiring.Functions {
		fn := lambdaOf(t, doc, f.Name)
		role := refOf(fn.Props["Role"])
		for _, r := range resources(doc, "AWS::IAM::Role") {
			if r.ID == role && r.Props["ManagedPolicyArns"] != nil {
				t.Errorf("%s: role has managed policies %s", f.Name, jsonOf(r.Props["ManagedPolicyArns"]))
			}
		}
		var got, listable []string
		logs, xray := false, false
		for _, st := range statementsOf(doc, role) {
			for _, a := range strs(st["Action"]) {
				switch {
				case strings.HasPrefix(a, "logs:"):
					logs = true
				case strings.HasPrefix(a, "xray:"):
					xray = true
				default:
					got = append(got, a)
				}
				if a == "s3:ListBucket" {
					listable = append(listable, strs(jsonPath(st, "Condition", "StringLike", "s3:prefix"))...)
				}
			}
		}
		// Exactly the wiring's actions, the key actions S3 takes for them, and the failed-events queue.
		var want, wantListable []string
		for _, a := range f.Access.Actions() {
			want = append(want, string(a))
			switch a {
			case wiring.GetObject:
				want = append(want, string(KeyDecrypt))
			case wiring.PutObject:
				want = append(want, string(KeyGenerateDataKey))
			}
		}
		// Events Lambda gives up on go to a queue: S3's to the failed-events queue, SES feedback
		// to the feedback-failures queue.
		if len(f.Notifications) > 0 || f.MailFeedback {
			want = append(want, "sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl")
		}
		for _, o := range f.Access.Objects {
			if slices.Contains(o.Actions, wiring.ListBucket) {
				wantListable = append(wantListable, o.Prefix+"*")
			}
		}
		for _, l := range [][]string{got, want, listable, wantListable} {
			slices.Sort(l)
		}
		if got, want = slices.Compact(got), slices.Compact(want); !slices.Equal(got, want) {
			t.Errorf("%s: role allows %v; want exactly %v", f.Name, got, want)
		}
		if !slices.Equal(listable, wantListable) {
			t.Errorf("%s: may list keys under %v; want exactly %v", f.Name, listable, wantListable)
		}
		if !logs || !xray {
			t.Errorf("%s: role cannot write its logs (%v) or traces (%v)", f.Name, logs, xray)
		}
	}
}

// --- malware protection ---

func TestGuardDutyScansUploadsAndOnlyCleanEvidenceIsReadable(t *testing.T) {
	_, doc := synth(t)
	uploads := bucketIDFor(t, doc, wiring.UploadsBucket)
	plans := resources(doc, "AWS::GuardDuty::MalwareProtectionPlan")
	if len(plans) != 1 {
		t.Fatalf("%d malware protection plans; want 1", len(plans))
	}
	plan := plans[0].Props
	if refOf(jsonPath(plan, "ProtectedResource", "S3Bucket", "BucketName")) != uploads {
		t.Errorf("plan protects %s; want the uploads bucket", jsonOf(plan["ProtectedResource"]))
	}
	if jsonOf(plan["Actions"]) != `{"Tagging":{"Status":"ENABLED"}}` {
		t.Errorf("plan actions %s; want tagging enabled", jsonOf(plan["Actions"]))
	}
	gdRole := refOf(plan["Role"])
	for _, r := range resources(doc, "AWS::IAM::Role") {
		if r.ID == gdRole && !strings.Contains(jsonOf(r.Props["AssumeRolePolicyDocument"]), guardDutyPrincipal) {
			t.Errorf("plan role %s is not assumable by GuardDuty", gdRole)
		}
	}
	var scanRoles []string
	for _, f := range wiring.Functions {
		if scanner(f) {
			scanRoles = append(scanRoles, refOf(lambdaOf(t, doc, f.Name).Props["Role"]))
		}
	}
	if len(scanRoles) == 0 {
		t.Fatal("no function reads the scan verdict")
	}

	var readDeny, renditionDeny map[string]any
	for _, pol := range resources(doc, "AWS::S3::BucketPolicy") {
		if refOf(pol.Props["Bucket"]) != uploads {
			continue
		}
		for _, st := range asList(jsonPath(pol.Props, "PolicyDocument", "Statement")) {
			sm := st.(map[string]any)
			if sm["Effect"] != "Deny" || !slices.Contains(strs(sm["Action"]), "s3:GetObject") {
				continue
			}
			switch {
			case sm["NotResource"] != nil && strings.Contains(jsonOf(sm["NotResource"]), "/renditions/*"):
				readDeny = sm
			case strings.Contains(jsonOf(sm["Resource"]), "/renditions/*"):
				renditionDeny = sm
			default:
				t.Errorf("another read deny: %s", jsonOf(sm))
			}
		}
	}
	if readDeny == nil {
		t.Fatal("no bucket policy statement denies reading unscanned evidence (every object but renditions)")
	}
	// A rendition is readable before its verdict (a reviewer opens it seconds after it is made) and
	// never once a verdict other than clean is on it.
	if renditionDeny == nil {
		t.Fatal("no bucket policy statement denies reading a rendition with a threat")
	}
	if got := jsonOf(jsonPath(renditionDeny, "Condition", "StringNotEquals")); got != `{"s3:ExistingObjectTag/GuardDutyMalwareScanStatus":"NO_THREATS_FOUND"}` ||
		jsonOf(jsonPath(renditionDeny, "Condition", "Null")) != `{"s3:ExistingObjectTag/GuardDutyMalwareScanStatus":"false"}` ||
		jsonOf(renditionDeny["Principal"]) != `{"AWS":"*"}` {
		t.Errorf("rendition read deny: %s", jsonOf(renditionDeny))
	}
	if jsonOf(readDeny["Principal"]) != `{"AWS":"*"}` {
		t.Errorf("the deny applies to %s; want every principal", jsonOf(readDeny["Principal"]))
	}
	if got := jsonOf(jsonPath(readDeny, "Condition", "StringNotEquals")); got != `{"s3:ExistingObjectTag/GuardDutyMalwareScanStatus":"NO_THREATS_FOUND"}` {
		t.Errorf("deny condition %s; want the tag to be NO_THREATS_FOUND", got)
	}
	var exempt []string
	for _, e := range asList(jsonPath(readDeny, "Condition", "ArnNotEquals", "aws:PrincipalArn")) {
		exempt = append(exempt, refOf(e))
	}
	want := append([]string{gdRole}, scanRoles...)
	sort.Strings(exempt)
	sort.Strings(want)
	if !slices.Equal(exempt, want) {
		t.Errorf("principals exempt from the clean-only rule: %v; want GuardDuty's role and the scan function %v", exempt, want)
	}

	// GuardDuty listens through EventBridge; the bucket's managed notification config keeps it on.
	for _, cr := range resources(doc, "Custom::S3BucketNotifications") {
		if refOf(cr.Props["BucketName"]) == uploads && jsonPath(cr.Props, "NotificationConfiguration", "EventBridgeConfiguration") == nil {
			t.Error("uploads bucket notifications would switch off EventBridge, which GuardDuty needs")
		}
	}
}

// --- schedule, mail, operations ---

func TestScheduledFunctionsHaveARule(t *testing.T) {
	_, doc := synth(t)
	for _, f := range wiring.Functions {
		if f.Schedule == 0 {
			continue
		}
		fn := lambdaOf(t, doc, f.Name)
		found := false
		for _, r := range resources(doc, "AWS::Events::Rule") {
			if mentions(r.Props["Targets"], fn.ID) {
				found = true
				if want := fmt.Sprintf("rate(%d minute", int(f.Schedule.Minutes())); !strings.HasPrefix(r.Props["ScheduleExpression"].(string), want) {
					t.Errorf("%s: schedule %v; want %s...", f.Name, r.Props["ScheduleExpression"], want)
				}
			}
		}
		if !found {
			t.Errorf("%s: scheduled in the wiring but no EventBridge rule invokes it", f.Name)
		}
	}
}

func TestSESFeedbackReachesTheFeedbackFunctions(t *testing.T) {
	_, doc := synth(t)
	identities := resources(doc, "AWS::SES::EmailIdentity")
	if len(identities) != 1 || identities[0].Props["EmailIdentity"] != "council.example" {
		t.Fatalf("SES identities %v; want the domain council.example", identities)
	}
	dest := resources(doc, "AWS::SES::ConfigurationSetEventDestination")
	if len(dest) != 1 {
		t.Fatalf("%d SES event destinations; want 1", len(dest))
	}
	ed := dest[0].Props["EventDestination"].(map[string]any)
	if got := jsonOf(ed["MatchingEventTypes"]); got != `["bounce","complaint"]` {
		t.Errorf("feedback events %s", got)
	}
	topic := refOf(jsonPath(ed, "SnsDestination", "TopicARN"))
	failures := queueOf(t, doc, "FeedbackFailuresQueueUrl")
	checkDeadLetters(t, doc, failures)
	aliases := resources(doc, "AWS::Lambda::Alias")
	configs := resources(doc, "AWS::Lambda::EventInvokeConfig")
	for _, f := range wiring.Functions {
		fn := lambdaOf(t, doc, f.Name)
		subscribed := false
		for _, s := range resources(doc, "AWS::SNS::Subscription") {
			if s.Props["Protocol"] != "lambda" || refOf(s.Props["TopicArn"]) != topic {
				continue
			}
			// Through an alias of the function's own, whose failed events go to the queue.
			for _, a := range aliases {
				if !mentions(s.Props["Endpoint"], a.ID) || !mentions(a.Props["FunctionName"], fn.ID) {
					continue
				}
				subscribed = true
				if !mentions(jsonPath(s.Props, "RedrivePolicy", "deadLetterTargetArn"), failures.ID) {
					t.Errorf("%s: what SNS cannot deliver is dropped: %s", f.Name, jsonOf(s.Props))
				}
				onFailure := false
				for _, c := range configs {
					if mentions(c.Props["FunctionName"], fn.ID) && (c.Props["Qualifier"] == a.Props["Name"] || mentions(c.Props["Qualifier"], a.ID)) &&
						mentions(jsonPath(c.Props, "DestinationConfig", "OnFailure", "Destination"), failures.ID) &&
						c.Props["MaximumRetryAttempts"] == float64(2) {
						onFailure = true
					}
				}
				if !onFailure {
					t.Errorf("%s: feedback it fails on after 2 retries does not go to the feedback-failures queue", f.Name)
				}
			}
		}
		if subscribed != f.MailFeedback {
			t.Errorf("%s: subscribed to SES feedback = %v; wiring says %v", f.Name, subscribed, f.MailFeedback)
		}
	}
	for _, tp := range resources(doc, "AWS::SNS::Topic") {
		if tp.Props["KmsMasterKeyId"] == nil {
			t.Errorf("topic %s is not encrypted", tp.ID)
		}
	}
}

func TestAlarmsCoverFunctionsMailAPIAndFirewall(t *testing.T) {
	_, doc := synth(t)
	alarms := resources(doc, "AWS::CloudWatch::Alarm")
	var alarmTopic string
	for _, s := range resources(doc, "AWS::SNS::Subscription") {
		if s.Props["Protocol"] == "email" {
			if s.Props["Endpoint"] != "ops@council.example" {
				t.Errorf("alarm email goes to %v", s.Props["Endpoint"])
			}
			alarmTopic = refOf(s.Props["TopicArn"])
		}
	}
	if alarmTopic == "" {
		t.Fatal("no email subscription for alarms")
	}
	has := func(metric string, dims func(string) bool) bool {
		for _, a := range alarms {
			if a.Props["MetricName"] == metric && dims(jsonOf(a.Props["Dimensions"])) {
				if !mentions(a.Props["AlarmActions"], alarmTopic) {
					t.Errorf("alarm %s does not notify the alarm topic", a.ID)
				}
				return true
			}
		}
		return false
	}
	for _, f := range wiring.Functions {
		fn := lambdaOf(t, doc, f.Name)
		for _, metric := range []string{"Errors", "Throttles"} {
			// The scanner is throttled by design (its reservation); see ops.go.
			if metric == "Throttles" && scanner(f) {
				if has(metric, func(d string) bool { return strings.Contains(d, `"Ref":"`+fn.ID+`"`) }) {
					t.Errorf("%s: a throttle alarm on the function throttled by design", f.Name)
				}
				continue
			}
			if !has(metric, func(d string) bool { return strings.Contains(d, `"Ref":"`+fn.ID+`"`) }) {
				t.Errorf("%s: no %s alarm", f.Name, metric)
			}
		}
	}
	anyDimensions := func(string) bool { return true }
	for _, metric := range []string{"ParkedEmails", "5XXError", "BlockedRequests"} {
		if !has(metric, anyDimensions) {
			t.Errorf("no %s alarm", metric)
		}
	}
	// The parked-email metric is fed from the log group of every function that sends mail.
	for _, f := range wiring.Functions {
		if len(f.Access.Mail) == 0 {
			continue
		}
		logGroup := refOf(jsonPath(lambdaOf(t, doc, f.Name).Props, "LoggingConfig", "LogGroup"))
		found := false
		for _, mf := range resources(doc, "AWS::Logs::MetricFilter") {
			if refOf(mf.Props["LogGroupName"]) == logGroup && mf.Props["FilterPattern"] == `{ $.msg = "email parked" }` {
				found = true
			}
		}
		if !found {
			t.Errorf("%s sends mail but its parked emails are not counted", f.Name)
		}
	}
}

func TestTheAPIIsServedAtTheCouncilsDomain(t *testing.T) {
	tmpl, doc := synth(t)
	check(t, "ApiUrl output", func() {
		tmpl.HasOutput(jsii.String("ApiUrl"), &map[string]any{"Value": "https://portal.council.example/api"})
	})
	check(t, "SiteUrl output", func() {
		tmpl.HasOutput(jsii.String("SiteUrl"), &map[string]any{"Value": "https://portal.council.example"})
	})
	check(t, "custom domain", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::ApiGateway::DomainName"), &map[string]any{
			"DomainName":             "portal.council.example",
			"SecurityPolicy":         "TLS_1_2",
			"RegionalCertificateArn": testProps("").APICertificateARN,
		})
	})
	stage := resources(doc, "AWS::ApiGateway::Stage")[0]
	mappings := resources(doc, "AWS::ApiGateway::BasePathMapping")
	if len(mappings) != 1 || refOf(mappings[0].Props["Stage"]) != stage.ID {
		t.Errorf("base path mappings %s; want the domain mapped to stage %s", jsonOf(mappings), stage.ID)
	}
	if _, ok := doc["Outputs"].(map[string]any)["ApiDomainTarget"]; !ok {
		t.Error("no output says where to point the API's DNS name")
	}
}

// --- cdk-nag ---

func TestCdkNagAwsSolutionsHasNoUnsuppressedErrors(t *testing.T) {
	_, doc := synth(t)
	var errs []*string
	check(t, "reading annotations", func() {
		for _, m := range *assertions.Annotations_FromStack(synthed.stack).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
			errs = append(errs, jsii.String(*m.Id+": "+fmt.Sprint(m.Entry.Data)))
		}
	})
	for _, e := range errs {
		t.Errorf("cdk-nag: %s", *e)
	}
	// Every suppression carries a reason of its own, not a placeholder.
	reasons := 0
	for id, r := range doc["Resources"].(map[string]any) {
		for _, s := range asList(jsonPath(r, "Metadata", "cdk_nag", "rules_to_suppress")) {
			sm := s.(map[string]any)
			reason, _ := sm["reason"].(string)
			reasons++
			if len(reason) < 60 {
				t.Errorf("%s: suppression of %v has no specific reason: %q", id, sm["id"], reason)
			}
		}
	}
	if reasons == 0 {
		t.Error("found no suppressions at all: is cdk-nag applied?")
	}
}

// A batch's file is published in place (the document keeps its version id): no lifecycle rule
// may remove a version under batches/ before a published document's retention, even when the
// sender has written the name again, and no rule without a prefix reaches batches/.
func TestBatchVersionsAreKeptAsLongAsPublishedDocuments(t *testing.T) {
	_, doc := synth(t)
	keepFor := testProps("").WithDefaults().DocumentRetentionDays
	documents := bucketIDFor(t, doc, wiring.DocumentsBucket)
	for _, b := range resources(doc, "AWS::S3::Bucket") {
		if b.ID != documents {
			continue
		}
		keep := false
		for _, r := range asList(jsonPath(b.Props, "LifecycleConfiguration", "Rules")) {
			rule := r.(map[string]any)
			prefix, _ := rule["Prefix"].(string)
			removes := rule["ExpirationInDays"] != nil || rule["NoncurrentVersionExpiration"] != nil
			if !removes || !strings.HasPrefix("batches/", prefix) {
				continue // a rule that removes nothing under batches/ (delete markers are not versions)
			}
			want := fmt.Sprintf(`{"NoncurrentDays":%d}`, keepFor)
			if prefix != "batches/" || jsonOf(rule["NoncurrentVersionExpiration"]) != want || fmt.Sprint(rule["ExpirationInDays"]) != fmt.Sprint(keepFor) {
				t.Errorf("rule %s reaches batches/; want its versions kept %d days", jsonOf(rule), keepFor)
			}
			keep = true
		}
		if !keep {
			t.Error("no lifecycle rule for batches/")
		}
	}
}
