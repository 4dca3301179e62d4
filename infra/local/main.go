package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/council/cfp/infra/local/services"
	"github.com/council/cfp/infra/local/stack"
	"github.com/council/cfp/infra/wiring"
)

func main() {
	root, err := services.Root()
	if err != nil {
		fail(err)
	}
	env := func(name, def string) string {
		if v := os.Getenv(name); v != "" {
			return v
		}
		return def
	}
	portal := env("CFP_PORTAL_URL", "http://localhost:8080")
	settings := map[wiring.Setting]string{
		wiring.PortalURL: portal,
		wiring.Reviewers: env("CFP_REVIEWERS", "client.finance@council.example"),
		wiring.MailFrom:  env("CFP_MAIL_FROM", "no-reply@council.example"),
		// Long enough for a batch typed by hand over SFTP, or a sample run of 12,000, to arrive whole
		// (the tests keep the stack's 20 seconds).
		wiring.BatchWindow: env("CFP_BATCH_WINDOW", "1h"),
		// Four weeks, as in AWS; shorten it (say 10m) to watch requests expire.
		wiring.RequestExpiry: env("CFP_REQUEST_EXPIRY", "672h"),
	}
	cfg := stack.Config{
		Root:     root,
		DataDir:  env("CFP_DATA_DIR", filepath.Join(root, ".local", "data")),
		Site:     env("CFP_SITE_ADDR", siteAddr(portal)),
		API:      env("CFP_API_ADDR", "127.0.0.1:3000"),
		Lambda:   env("CFP_LAMBDA_ADDR", "127.0.0.1:3001"),
		S3:       env("CFP_S3_ADDR", "127.0.0.1:9000"),
		Mailbox:  env("CFP_MAILBOX_ADDR", "127.0.0.1:8005"),
		DynamoDB: env("CFP_DYNAMODB_ADDR", "127.0.0.1:8000"),
		SFTP:     env("CFP_SFTP_ADDR", "127.0.0.1:2022"),
		Settings: settings,
		Log:      os.Stderr,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintln(os.Stderr, "Starting the local stack (building the functions first)...")
	st, err := stack.Start(ctx, cfg)
	if err != nil {
		fail(err)
	}
	fmt.Printf(`
Client Finance Portal: local stack running
  Open the portal  %s      (pages at /, the API at /api)
  Staff workspace  %s/staff      (sign in as reviewer, support, governance, admin or norole; any password)
  Staff sign-in    %s      (the local OpenID Provider, issuer)
  API              %s      (the API alone, for curl; its OpenAPI description at %s/openapi.yaml)
  Mailbox          %s      (browser; JSON at %s/store)
  S3               %s      (buckets %s, %s)
  DynamoDB Local   %s      (table %s)
  SFTP (batches)   %s
                   (sending system %s, jailed to batches/%s/ of %s; host key %s)
  Lambda Invoke    %s      (make invoke FN=... EVENT=...)
  Data directory   %s
Press Ctrl-C to stop.
`, st.Settings[wiring.PortalURL], st.Settings[wiring.PortalURL], st.Settings[wiring.StaffIssuer], st.APIURL, st.APIURL, st.MailboxURL, st.MailboxURL, st.S3URL, st.Settings[wiring.UploadsBucket], st.Settings[wiring.DocumentsBucket],
		st.DynamoURL, st.Settings[wiring.TableName], st.SFTP.Command(), st.SFTP.System, st.SFTP.System, st.SFTP.Bucket, hostKey(st.SFTP),
		st.LambdaURL, st.DataDir)
	<-ctx.Done()
	fmt.Fprintln(os.Stderr, "\nStopping...")
	_ = st.Close()
}

// siteAddr is where the site listens for the portal URL: its port, on the loopback address.
func siteAddr(portal string) string {
	u, err := url.Parse(portal)
	if err != nil || u.Port() == "" {
		fail(fmt.Errorf("CFP_PORTAL_URL %q: want http://localhost:<port>", portal))
	}
	return "127.0.0.1:" + u.Port()
}

// hostKey is the SFTP server's host key fingerprint, to compare with what sftp shows the first time.
func hostKey(s *services.SFTP) string {
	out, err := exec.Command("ssh-keygen", "-l", "-f", s.HostKey+".pub").Output()
	if f := strings.Fields(string(out)); err == nil && len(f) > 1 {
		return f[1]
	}
	return s.HostKey + ".pub"
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "local stack:", err)
	os.Exit(1)
}
