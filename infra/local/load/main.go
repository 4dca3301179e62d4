package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"time"

	"github.com/council/cfp/infra/local/dynamo"
	"github.com/council/cfp/infra/local/services"
	"github.com/council/cfp/infra/local/stack"
	"github.com/council/cfp/infra/wiring"
	"github.com/council/cfp/shared/store"
)

func main() { os.Exit(run()) }

// run is main with an exit code, so that a stack it started is stopped before the process exits.
func run() int {
	var p Plan
	flag.IntVar(&p.Codes, "codes", 100, "sign-in code requests")
	flag.IntVar(&p.Lists, "n", 300, "document list requests, and as many access-request submissions")
	flag.IntVar(&p.Concurrency, "c", 8, "concurrent clients in each throughput scenario")
	flag.IntVar(&p.Pages, "pages", 300, "loads of each portal page: start page, client list, document list")
	flag.IntVar(&p.People, "people", 4, "signed-in people reading document lists")
	flag.IntVar(&p.Documents, "docs", 60, "documents per person's client")
	flag.DurationVar(&p.ScenarioTime, "scenario-time", 45*time.Second, "no scenario starts a request after this")
	deadline := flag.Duration("deadline", 2*time.Minute, "bound on the whole run, stack start excepted")
	api := flag.String("api", "", "the API of a running stack (make run), e.g. http://127.0.0.1:3000; empty starts one")
	mailbox := flag.String("mailbox", "http://127.0.0.1:8005", "with -api: its SES mailbox")
	ddb := flag.String("dynamodb", "http://127.0.0.1:8000", "with -api: its DynamoDB Local")
	table := flag.String("table", stack.Defaults()[wiring.TableName], "with -api: its table")
	origin := flag.String("origin", stack.Defaults()[wiring.PortalURL], "with -api: its portal origin, where its site serves the pages")
	flag.Parse()
	p.Requests = p.Lists
	if p.Codes < 0 || p.Lists < 0 || p.Requests < 0 || p.Pages < 0 || p.Concurrency < 1 || p.People < 1 || p.Documents < pageSize+1 {
		return fail(fmt.Errorf("counts must not be negative, -c and -people at least 1, -docs above %d (to have a second page)", pageSize))
	}

	var t Target
	if *api != "" {
		for _, u := range []string{*api, *mailbox, *ddb, *origin} {
			if err := loopback(u); err != nil {
				return fail(err)
			}
		}
		t = Target{API: *api, Site: *origin, Origin: *origin, Mailbox: services.Mailbox{URL: *mailbox}, Store: store.New(dynamo.Client(*ddb), *table)}
	} else {
		st, log, err := startStack(p)
		if err != nil {
			return fail(err)
		}
		defer log.Close()
		defer st.Close()
		t = Target{API: st.APIURL, Site: st.SiteURL, Origin: st.Settings[wiring.PortalURL], Mailbox: services.Mailbox{URL: st.MailboxURL},
			Store: store.New(dynamo.Client(st.DynamoURL), st.Settings[wiring.TableName]), IPLimit: IPLimitFor(p)}
		fmt.Fprintf(os.Stderr, "load: stack at %s (its log: %s)\n", st.APIURL, log.Name())
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt) // Ctrl-C ends the run, and the stack
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *deadline)
	defer cancel()
	begun := time.Now()
	results, err := Run(ctx, t, p)
	Print(os.Stdout, results)
	fmt.Printf("total %s\n", time.Since(begun).Round(100*time.Millisecond))
	if err != nil {
		return fail(fmt.Errorf("FAILED: %w", err))
	}
	return 0
}

// startStack starts a stack of this program's own on free loopback ports with a throw-away data
// directory, its per-source limit set so the run can reach it. Its log goes to .local/logs/load.log.
func startStack(p Plan) (*stack.Stack, *os.File, error) {
	root, err := services.Root()
	if err != nil {
		return nil, nil, err
	}
	logPath := filepath.Join(root, ".local", "logs", "load.log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return nil, nil, err
	}
	log, err := os.Create(logPath)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintln(os.Stderr, "load: building the functions and starting a local stack on free loopback ports...")
	// Building every function can take minutes on a busy machine; the run's own deadline starts after.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	st, err := stack.Start(ctx, stack.Config{Root: root, Log: log, Schedule: time.Second,
		Settings: map[wiring.Setting]string{wiring.IPRequestLimit: strconv.Itoa(IPLimitFor(p))}})
	if err != nil {
		log.Close()
		return nil, nil, err
	}
	return st, log, nil
}

// loopback refuses a URL whose host is not a loopback address: the load test stays on this machine.
func loopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not a URL", raw)
	}
	if h := u.Hostname(); h == "localhost" {
		return nil
	} else if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%s is not a loopback address: the load test runs on loopback only", u.Host)
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, "load:", err)
	return 1
}
