package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/council/cfp/infra/local/runtimeapi"
	"github.com/council/cfp/infra/local/services"
	"github.com/council/cfp/infra/local/stack"
	"github.com/council/cfp/infra/wiring"
)

const budget = 1.5

// ownBudgets are the functions with an absolute cold-start budget instead: render compiles PDFium's
// WebAssembly module at start, which its compilation cache (kept in TMPDIR between these runs)
// cuts to a few hundred milliseconds.
var ownBudgets = map[string]time.Duration{"render": 2 * time.Second}

func main() {
	runs := flag.Int("runs", 21, "cold starts per function")
	flag.Parse()
	if err := run(*runs); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

type result struct {
	name         string
	init, invoke time.Duration // medians
	size         int64
}

func run(runs int) error {
	ctx := context.Background()
	root, err := services.Root()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "coldstart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	pkgs := map[string]string{"hello": "./infra/local/hello"}
	for _, f := range wiring.Functions {
		pkgs[f.Name] = "./" + f.Dir()
	}
	for name, pkg := range pkgs {
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(dir, name), pkg)
		cmd.Dir, cmd.Env = root, append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building %s: %v\n%s", name, err, out)
		}
	}
	settings := stack.Defaults()
	// The local stack fills the staff issuer in from where its identity provider listens; none runs
	// here, and approval asks the issuer for nothing until a sign-in.
	settings[wiring.StaffIssuer] = "http://127.0.0.1:9/staff-idp"
	// approval's identity provider secret and account's sign-in code key are read on first need,
	// not at start; the store answers if a first event ever asks.
	if err := stack.WriteSecret(filepath.Join(dir, "secrets"), settings[wiring.StaffClientSecret], stack.LocalStaffSecret); err != nil {
		return err
	}
	if err := stack.CreateSecret(filepath.Join(dir, "secrets"), settings[wiring.SignInKey]); err != nil {
		return err
	}
	secrets := httptest.NewServer(stack.Secrets(filepath.Join(dir, "secrets")))
	defer secrets.Close()
	// An empty table: expire's every run begins with its Queries, and finds nothing due here. No
	// other first event reaches a service, so nothing else competes for the CPU.
	table := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte(`{"Count":0,"ScannedCount":0,"Items":[]}`))
	}))
	defer table.Close()
	base := []string{
		"AWS_REGION=" + stack.Region, "AWS_ACCESS_KEY_ID=" + stack.AccessKey, "AWS_SECRET_ACCESS_KEY=" + stack.SecretKey,
		"AWS_ENDPOINT_URL_DYNAMODB=" + table.URL, "AWS_ENDPOINT_URL_S3=http://127.0.0.1:9", "AWS_ENDPOINT_URL_SESV2=http://127.0.0.1:9",
		"AWS_ENDPOINT_URL_SECRETS_MANAGER=" + secrets.URL, "AWS_EC2_METADATA_DISABLED=true",
	}
	once := func(name string, env []string, event []byte) (init, invoke time.Duration, err error) {
		p := runtimeapi.NewPool(runtimeapi.Config{Name: name, Binary: filepath.Join(dir, name), Env: env, Timeout: 30 * time.Second, MaxInstances: 1})
		defer p.Close()
		start := time.Now()
		if _, err := p.Invoke(ctx, event); err != nil {
			return 0, 0, fmt.Errorf("%s: %w", name, err)
		}
		total := time.Since(start)
		st := p.Stats()
		if len(st.InitDurations) != 1 {
			return 0, 0, fmt.Errorf("%s: expected one cold start, saw %d", name, len(st.InitDurations))
		}
		return st.InitDurations[0], total - st.InitDurations[0], nil
	}
	size := func(name string) int64 {
		fi, _ := os.Stat(filepath.Join(dir, name))
		return fi.Size()
	}
	fmt.Printf("Cold start behind the local Runtime API, median of %d runs, each beside a hello-world run\n", runs)
	fmt.Printf("(host binaries, -tags lambda.norpc, stripped; ratios are to the hello-world runs of the same block):\n")
	fmt.Printf("  %-18s %10s %10s %10s %12s %8s %9s %8s\n", "function", "init", "1st invoke", "hello", "bytes", "x init", "x invoke", "x total")
	over := 0
	for _, f := range wiring.Functions {
		env := append(append([]string{}, base...), kv(f.Environment(settings))...)
		var inits, invokes, helloInits, helloInvokes, helloTotals []time.Duration
		for i := 0; i < runs; i++ { // interleaved, so a busy moment weighs on both alike
			hi, hv, err := once("hello", base, []byte(`{}`))
			if err != nil {
				return err
			}
			fi, fv, err := once(f.Name, env, cheapEvent(f))
			if err != nil {
				return err
			}
			helloInits, helloInvokes, helloTotals = append(helloInits, hi), append(helloInvokes, hv), append(helloTotals, hi+hv)
			inits, invokes = append(inits, fi), append(invokes, fv)
		}
		r := result{f.Name, median(inits), median(invokes), size(f.Name)}
		hInit, hInvoke, hTotal := median(helloInits), median(helloInvokes), median(helloTotals)
		note := ""
		if own, ok := ownBudgets[f.Name]; ok && r.init+r.invoke > own {
			note, over = fmt.Sprintf("OVER BUDGET (%s)", own), over+1
		} else if !ok && ratio(r.init+r.invoke, hTotal) > budget {
			note, over = "OVER BUDGET (1.5x)", over+1
		}
		fmt.Printf("  %-18s %10s %10s %10s %12d %8.2f %9.2f %8.2f %s\n", r.name, r.init.Round(10*time.Microsecond), r.invoke.Round(10*time.Microsecond),
			hTotal.Round(10*time.Microsecond), r.size, ratio(r.init, hInit), ratio(r.invoke, hInvoke), ratio(r.init+r.invoke, hTotal), note)
	}
	fmt.Printf("  hello-world binary: %d bytes\n", size("hello"))
	if over > 0 {
		return fmt.Errorf("%d functions over the cold-start budget", over)
	}
	return nil
}

// cheapEvent is a first event the function answers without calling AWS.
func cheapEvent(f wiring.Function) []byte {
	var v any
	switch {
	case len(f.Routes) > 0:
		r := f.Routes[0]
		v = events.APIGatewayProxyRequest{Resource: r.Path, Path: r.Path, HTTPMethod: r.Method,
			Headers:        map[string]string{"Origin": "https://elsewhere.example"}, // refused before any I/O
			RequestContext: events.APIGatewayProxyRequestContext{RequestID: "cold", Identity: events.APIGatewayRequestIdentity{SourceIP: "127.0.0.1"}}}
	case len(f.Notifications) > 0:
		rec := events.S3EventRecord{EventVersion: "2.1", EventSource: "aws:s3", AWSRegion: stack.Region, EventName: "ObjectCreated:Put"}
		rec.S3.Bucket.Name, rec.S3.Object.Key = "elsewhere", "outside/any/prefix" // ignored: not a key the function handles
		v = events.S3Event{Records: []events.S3EventRecord{rec}}
	default: // notify: SES feedback it records nothing for (a delivery), rather than a scheduled run's
		// queries; expire runs whatever it is sent, against the empty table above
		v = events.SNSEvent{Records: []events.SNSEventRecord{{EventSource: "aws:sns", EventVersion: "1.0",
			SNS: events.SNSEntity{MessageID: "cold", Type: "Notification", Message: `{"eventType":"Delivery"}`}}}}
	}
	b, _ := json.Marshal(v)
	return b
}

func kv(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return out
}

func median(d []time.Duration) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }
