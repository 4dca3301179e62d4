package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/council/cfp/infra/local/apigw"
	"github.com/council/cfp/infra/local/dynamo"
	"github.com/council/cfp/infra/local/faults"
	"github.com/council/cfp/infra/local/guardduty"
	"github.com/council/cfp/infra/local/runtimeapi"
	"github.com/council/cfp/infra/local/s3front"
	"github.com/council/cfp/infra/local/services"
	"github.com/council/cfp/infra/wiring"
	"github.com/council/cfp/shared/contract"
	"github.com/council/cfp/shared/web"
)

// Credentials and region every local process uses; no AWS account is involved.
const (
	AccessKey = "local"
	SecretKey = "local-secret"
	Region    = "eu-west-2"
)

// SampleSender is the sending system the local stack serves SFTP for, as AWS Transfer Family would
// with the key a council registers for it.
const SampleSender = "billing"

// Config says where everything listens. An address with port 0 takes a free port (tests).
type Config struct {
	Root    string // repository root
	DataDir string // persistent data; "" for a throw-away directory
	// Site is the whole site, pages at / and the API at /api, as the AWS custom domain serves it,
	// e.g. 127.0.0.1:8080. Without PORTAL_URL in Settings, the portal is http://localhost:<its port>.
	Site     string
	API      string // the API alone, without the /api prefix (tests, curl), e.g. 127.0.0.1:3000
	Lambda   string // the Lambda Invoke API (make invoke), e.g. 127.0.0.1:3001
	S3       string
	Mailbox  string
	DynamoDB string
	SFTP     string                    // the sample sending system's SFTP server, e.g. 127.0.0.1:2022 ("": a free port)
	Settings map[wiring.Setting]string // overrides of Defaults
	Schedule time.Duration             // how often scheduled functions run
	Log      io.Writer
	// Faults puts a counting, fault-injecting proxy (infra/local/faults) between the functions and
	// each of DynamoDB, S3 and SES; Stack.Faults reaches them. Tests and benchmarks use it to make a
	// service fail a share of calls and to count AWS requests. The URLs in Stack stay the services'
	// own, so what a test reads or arranges directly is neither counted nor failed.
	Faults bool
}

// Proxies are the fault proxies in front of the services as the functions reach them (all nil
// unless Config.Faults).
type Proxies struct{ DynamoDB, S3, SES *faults.Proxy }

// Defaults are the local values of every setting: shared/setting's default, the same as in AWS,
// unless the laptop needs another. PORTAL_URL, unless given, is filled in from where the site
// listens.
func Defaults() map[wiring.Setting]string {
	values := map[wiring.Setting]string{}
	for _, f := range wiring.Functions {
		for _, s := range f.Settings {
			if d := s.Default(); d != "" {
				values[s] = d
			}
		}
	}
	maps.Copy(values, map[wiring.Setting]string{
		wiring.TableName:       "cfp",
		wiring.UploadsBucket:   "cfp-uploads",
		wiring.DocumentsBucket: "cfp-documents",
		wiring.MailFrom:        "no-reply@council.example",
		wiring.Reviewers:       "client.finance@council.example",
		wiring.BusinessSupport: "business.support@council.example",
		wiring.PortalURL:       "http://localhost:8080",
		wiring.InsecureCookies: "true", // plain HTTP
		wiring.S3PathStyle:     "true", // the local S3 answers on one host
		// Notices and mail go faster than in AWS so that the tests need not wait for them; the
		// local mailbox has no sending quota.
		wiring.NoticeQuiet:    "3s",
		wiring.NoticeMaxDelay: "20s",
		wiring.MailRate:       "50",
		wiring.IPRequestLimit: "10000", // every local request comes from 127.0.0.1
		wiring.BatchWindow:    "20s",   // a batch's missing files are reported soon after it is dropped
		// The local staff identity provider (infra/local/node/staff-idp.mjs) and its sample groups;
		// STAFF_OIDC_ISSUER is filled in from where it listens. The client secret is read from the
		// local secret store, as from Secrets Manager in AWS.
		wiring.StaffClientID:     "cfp-staff",
		wiring.StaffClientSecret: LocalStaffSecretID,
		wiring.SignInKey:         LocalSignInKeyID,
		wiring.StaffGroups:       "cfp-reviewers=reviewer,cfp-support=support,cfp-information-governance=information-governance,cfp-administrators=administrator",
	})
	return values
}

// Stack is the running system.
type Stack struct {
	// SiteURL is where the site listens (pages at /, the API at /api); APIURL is the API alone,
	// where /x is the site's /api/x.
	SiteURL, APIURL, LambdaURL, S3URL, MailboxURL, DynamoURL, DataDir string
	// SecretsURL answers the functions' Secrets Manager calls from DataDir/secrets.
	SecretsURL string
	Settings   map[wiring.Setting]string
	Faults     Proxies
	// SFTP is the sample sending system's SFTP server (SampleSender), jailed to its batches folder.
	SFTP *services.SFTP

	pools    map[string]*runtimeapi.Pool
	s3       *s3front.Server
	procs    []*services.Process
	servers  []*http.Server
	stopTick context.CancelFunc
	tickers  sync.WaitGroup
	log      io.Writer
	tmp      string
	failed   failedEvents
}

// Start builds every function for this machine and starts everything. On error, whatever had
// started is stopped again.
func Start(ctx context.Context, cfg Config) (_ *Stack, err error) {
	st := &Stack{pools: map[string]*runtimeapi.Pool{}, log: cfg.Log, DataDir: cfg.DataDir}
	if st.log == nil {
		st.log = io.Discard
	}
	defer func() {
		if err != nil {
			st.Close()
		}
	}()
	if st.DataDir == "" {
		if st.tmp, err = os.MkdirTemp("", "cfp-stack-"); err != nil {
			return nil, err
		}
		st.DataDir = st.tmp
	}
	st.Settings = Defaults()
	for k, v := range cfg.Settings {
		st.Settings[k] = v
	}

	bins, err := Build(ctx, cfg.Root, filepath.Join(cfg.Root, ".local", "build", "host"))
	if err != nil {
		return nil, err
	}

	// Listeners first, so every URL is known before any process is given its environment.
	siteL, err := listen(cfg.Site)
	if err != nil {
		return nil, fmt.Errorf("site address: %w", err)
	}
	st.SiteURL = "http://" + siteL.Addr().String()
	if _, given := cfg.Settings[wiring.PortalURL]; !given {
		// localhost, not 127.0.0.1: the origin a person's browser shows, as in make run.
		st.Settings[wiring.PortalURL] = "http://localhost:" + strconv.Itoa(siteL.Addr().(*net.TCPAddr).Port)
	}
	apiL, err := listen(cfg.API)
	if err != nil {
		return nil, fmt.Errorf("API address: %w", err)
	}
	lambdaL, err := listen(cfg.Lambda)
	if err != nil {
		return nil, fmt.Errorf("Lambda API address: %w", err)
	}
	s3L, err := listen(cfg.S3)
	if err != nil {
		return nil, fmt.Errorf("S3 address: %w", err)
	}
	secretsL, err := listen("")
	if err != nil {
		return nil, fmt.Errorf("secret store address: %w", err)
	}
	st.APIURL, st.LambdaURL, st.S3URL = "http://"+apiL.Addr().String(), "http://"+lambdaL.Addr().String(), "http://"+s3L.Addr().String()
	st.SecretsURL = "http://" + secretsL.Addr().String()
	secrets := filepath.Join(st.DataDir, "secrets")
	if err := WriteSecret(secrets, st.Settings[wiring.StaffClientSecret], LocalStaffSecret); err != nil {
		return nil, err
	}
	if err := CreateSecret(secrets, st.Settings[wiring.SignInKey]); err != nil {
		return nil, err
	}
	st.serve(secretsL, Secrets(secrets))

	ddb, err := services.StartDynamoDB(ctx, filepath.Join(st.DataDir, "dynamodb"), port(cfg.DynamoDB), st.log)
	if err != nil {
		return nil, err
	}
	st.procs = append(st.procs, ddb)
	st.DynamoURL = ddb.URL()
	if err := dynamo.CreateTable(ctx, st.DynamoURL, st.Settings[wiring.TableName]); err != nil {
		return nil, err
	}
	ses, err := services.StartSES(ctx, port(cfg.Mailbox), st.log)
	if err != nil {
		return nil, err
	}
	st.procs = append(st.procs, ses)
	st.MailboxURL = ses.URL()
	idp, err := services.StartStaffIdP(ctx, 0, services.StaffIdP{ClientID: st.Settings[wiring.StaffClientID],
		ClientSecret: LocalStaffSecret, RedirectURI: st.Settings[wiring.PortalURL] + "/staff/callback"}, st.log)
	if err != nil {
		return nil, err
	}
	st.procs = append(st.procs, idp)
	if st.Settings[wiring.StaffIssuer] == "" {
		st.Settings[wiring.StaffIssuer] = idp.URL()
	}

	clamdAddr := "tcp:127.0.0.1:0" // unreachable: every verdict FAILED, never clean
	if clamd, err := services.StartClamd(ctx, filepath.Join(st.DataDir, "clamd"), 0, st.log); err != nil {
		fmt.Fprintf(st.log, "WARNING: ClamAV could not start (%v): every upload will be scan_failed until it can\n", err)
	} else {
		st.procs = append(st.procs, clamd)
		clamdAddr = "tcp:" + clamd.Addr
	}

	if cfg.Faults {
		if err := st.startFaults(); err != nil {
			return nil, err
		}
	}
	env := st.environment()
	for _, f := range wiring.Functions {
		pc := runtimeapi.Config{Name: f.Name, Binary: bins[f.Name], Env: env(f), Timeout: f.Timeout, MemoryMB: f.MemoryMB, Log: st.log}
		if len(f.Notifications) > 0 { // S3 invokes it asynchronously: as in AWS, an event that still fails is kept
			pc.OnFailure = st.failed.keeper(f.Name)
		}
		st.pools[f.Name] = runtimeapi.NewPool(pc)
	}

	buckets := []string{st.Settings[wiring.UploadsBucket], st.Settings[wiring.DocumentsBucket]}
	var scanner *guardduty.Scanner
	st.s3, err = s3front.New(s3front.Config{
		Dir: filepath.Join(st.DataDir, "s3"), Buckets: buckets, AccessKey: AccessKey, SecretKey: SecretKey, Region: Region,
		Notify: func(ev events.S3Event) { st.notify(ev, scanner) }, Log: st.log,
	})
	if err != nil {
		return nil, err
	}
	scanner = guardduty.New(clamdAddr, st.s3, st.log)

	var routes []apigw.Route
	for _, f := range wiring.Functions {
		for _, r := range f.Routes {
			routes = append(routes, apigw.Route{Method: r.Method, Path: r.Path, Fn: st.pools[f.Name]})
		}
	}
	gateway := apigw.New(routes, st.log, apigw.CORS(web.Origin(st.Settings[wiring.PortalURL]), wiring.RequestHeaders...))
	st.serve(siteL, withContract(wiring.APIPrefix, gateway))
	st.serve(apiL, withContract("", withoutPrefix(gateway)))
	st.serve(s3L, st.s3)
	st.SFTP, err = services.StartSFTP(ctx, filepath.Join(st.DataDir, "sftp"), SampleSender, st.Settings[wiring.DocumentsBucket], st.S3URL,
		services.S3Credentials{AccessKey: AccessKey, SecretKey: SecretKey, Region: Region}, port(cfg.SFTP), st.log)
	if err != nil {
		return nil, err
	}
	st.procs = append(st.procs, st.SFTP.Process)
	lambdaAPI := http.NewServeMux()
	lambdaAPI.HandleFunc("/2015-03-31/functions/", st.invokeAPI)
	lambdaAPI.HandleFunc("GET /failed-events", st.listFailed)
	lambdaAPI.HandleFunc("POST /failed-events/redrive", st.redriveFailed)
	st.serve(lambdaL, lambdaAPI)

	every := cfg.Schedule
	if every == 0 {
		every = 3 * time.Second
	}
	tickCtx, cancel := context.WithCancel(context.Background())
	st.stopTick = cancel
	for _, f := range wiring.Functions {
		if f.Schedule > 0 {
			st.tickers.Add(1)
			go st.tick(tickCtx, st.pools[f.Name], every)
		}
	}
	return st, nil
}

// environment is what every function process sees: its settings, as the AWS stack sets them, and
// the SDK's standard variables pointing at the local services.
func (st *Stack) environment() func(wiring.Function) []string {
	return func(f wiring.Function) []string {
		env := []string{
			"PATH=" + os.Getenv("PATH"),
			"AWS_REGION=" + Region, "AWS_DEFAULT_REGION=" + Region,
			"AWS_ACCESS_KEY_ID=" + AccessKey, "AWS_SECRET_ACCESS_KEY=" + SecretKey,
			"AWS_ENDPOINT_URL_DYNAMODB=" + via(st.Faults.DynamoDB, st.DynamoURL),
			"AWS_ENDPOINT_URL_S3=" + via(st.Faults.S3, st.S3URL),
			"AWS_ENDPOINT_URL_SESV2=" + via(st.Faults.SES, st.MailboxURL),
			"AWS_ENDPOINT_URL_SECRETS_MANAGER=" + st.SecretsURL,
			"AWS_REQUEST_CHECKSUM_CALCULATION=when_required",
			"AWS_RESPONSE_CHECKSUM_VALIDATION=when_required",
			"AWS_EC2_METADATA_DISABLED=true",
		}
		for k, v := range f.Environment(st.Settings) {
			env = append(env, k+"="+v)
		}
		return env
	}
}

// startFaults starts a fault proxy in front of each service.
func (st *Stack) startFaults() (err error) {
	for _, p := range []struct {
		proxy  **faults.Proxy
		target string
	}{{&st.Faults.DynamoDB, st.DynamoURL}, {&st.Faults.S3, st.S3URL}, {&st.Faults.SES, st.MailboxURL}} {
		if *p.proxy, err = faults.Start(p.target); err != nil {
			return err
		}
	}
	return nil
}

// via is the URL a function reaches a service at: the fault proxy's when there is one.
func via(p *faults.Proxy, url string) string {
	if p != nil {
		return p.URL()
	}
	return url
}

// notify delivers an S3 event notification as S3 would: to every function subscribed to the bucket,
// prefix and event name. New evidence is also handed to the GuardDuty stand-in, which tags it.
func (st *Stack) notify(ev events.S3Event, scanner *guardduty.Scanner) {
	for _, rec := range ev.Records {
		bucket, name := rec.S3.Bucket.Name, "s3:"+rec.EventName
		key, err := url.QueryUnescape(rec.S3.Object.Key) // S3 sends keys form-encoded: '+' is a space
		if err != nil {
			fmt.Fprintf(st.log, "s3 event with an undecodable key: %v\n", err)
			continue
		}
		for _, f := range wiring.Functions {
			for _, n := range f.Notifications {
				if st.Settings[n.Bucket] == bucket && strings.HasPrefix(key, n.Prefix) && matches(n.Events, name) {
					payload, _ := json.Marshal(events.S3Event{Records: []events.S3EventRecord{rec}})
					st.pools[f.Name].InvokeAsync(payload)
				}
			}
		}
		if bucket == st.Settings[wiring.UploadsBucket] && strings.HasPrefix(key, "evidence/") && strings.HasPrefix(rec.EventName, "ObjectCreated:") && scanner != nil {
			go scanner.Scan(context.Background(), bucket, key)
		}
	}
}

func matches(patterns []string, name string) bool {
	for _, p := range patterns {
		if p == name || strings.HasSuffix(p, "*") && strings.HasPrefix(name, strings.TrimSuffix(p, "*")) {
			return true
		}
	}
	return false
}

// tick invokes a scheduled function as EventBridge would.
func (st *Stack) tick(ctx context.Context, pool *runtimeapi.Pool, every time.Duration) {
	defer st.tickers.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			ev, _ := json.Marshal(events.EventBridgeEvent{
				Version: "0", ID: strconv.FormatInt(now.UnixNano(), 36), DetailType: "Scheduled Event", Source: "aws.events",
				AccountID: "000000000000", Time: now.UTC(), Region: Region, Detail: json.RawMessage("{}"),
			})
			if _, err := pool.Invoke(ctx, ev); err != nil && ctx.Err() == nil {
				fmt.Fprintf(st.log, "schedule: %v\n", err)
			}
		}
	}
}

// invokeAPI is Lambda's Invoke API (POST /2015-03-31/functions/{name}/invocations), for make invoke.
func (st *Stack) invokeAPI(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/2015-03-31/functions/")
	name, ok2 := strings.CutSuffix(name, "/invocations")
	pool := st.pools[name]
	if !ok || !ok2 || r.Method != http.MethodPost || pool == nil {
		http.Error(w, `{"message":"function not found"}`, http.StatusNotFound)
		return
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, 6<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	out, err := st.Invoke(r.Context(), name, payload)
	var fe *runtimeapi.FunctionError
	switch {
	case errors.As(err, &fe):
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		out, _ = json.Marshal(map[string]string{"errorType": fe.Type, "errorMessage": fe.Message})
	case err != nil:
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		out, _ = json.Marshal(map[string]string{"errorType": "Runtime.Error", "errorMessage": err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(out)
}

// Invoke runs one event through a function, synchronously.
func (st *Stack) Invoke(ctx context.Context, name string, payload []byte) ([]byte, error) {
	pool := st.pools[name]
	if pool == nil {
		return nil, fmt.Errorf("no function %q", name)
	}
	return pool.Invoke(ctx, payload)
}

// Close stops everything Start started; nothing is left running.
func (st *Stack) Close() error {
	if st.stopTick != nil {
		st.stopTick()
		st.tickers.Wait()
	}
	for _, s := range st.servers {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = s.Shutdown(ctx)
		cancel()
	}
	for _, p := range st.pools {
		_ = p.Close()
	}
	for _, p := range []*faults.Proxy{st.Faults.DynamoDB, st.Faults.S3, st.Faults.SES} {
		if p != nil {
			_ = p.Close()
		}
	}
	if st.s3 != nil {
		_ = st.s3.Close()
	}
	for i := len(st.procs) - 1; i >= 0; i-- {
		_ = st.procs[i].Close()
	}
	if st.tmp != "" {
		_ = os.RemoveAll(st.tmp)
	}
	return nil
}

func (st *Stack) serve(l net.Listener, h http.Handler) {
	s := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	st.servers = append(st.servers, s)
	go func() { _ = s.Serve(l) }()
}

func listen(addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	return net.Listen("tcp", addr)
}

func port(addr string) int {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(p)
	return n
}

// Build compiles every function for this machine, as Lambda would run it (-tags lambda.norpc), and
// returns the path of each binary.
func Build(ctx context.Context, root, dir string) (map[string]string, error) {
	bins := map[string]string{}
	args := []string{"build", "-tags", "lambda.norpc", "-o", dir + "/"}
	for _, f := range wiring.Functions {
		args = append(args, "./"+f.Dir())
		bins[f.Name] = filepath.Join(dir, f.Name)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the functions: %v\n%s", err, out)
	}
	return bins, nil
}

// withoutPrefix serves the API without its prefix: /x is the site's /api/x. Only API routes are
// reached this way; pages are the site's.
func withoutPrefix(site http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2 := r.Clone(r.Context())
		r2.URL.Path = wiring.APIPrefix + r.URL.Path
		r2.URL.RawPath = ""
		if r.URL.RawPath != "" {
			r2.URL.RawPath = wiring.APIPrefix + r.URL.RawPath
		}
		site.ServeHTTP(w, r2)
	})
}

// withContract serves the API's OpenAPI description at <prefix>/openapi.yaml beside the API, for
// people and tools working against the local stack (API Gateway itself serves only the routes).
func withContract(prefix string, api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == prefix+"/openapi.yaml" && r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "application/yaml")
			_, _ = w.Write(contract.Spec)
			return
		}
		api.ServeHTTP(w, r)
	})
}
