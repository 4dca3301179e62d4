package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/council/cfp/infra/local/dynamo"
	"github.com/council/cfp/infra/local/services"
	"github.com/council/cfp/infra/local/stack"
	"github.com/council/cfp/infra/wiring"
	"github.com/council/cfp/shared/store"
)

var (
	stk     *stack.Stack
	mailbox services.Mailbox
	db      *store.Store // the stack's table, for arranging states no API reaches (expiry) and for counting
	portal  string       // the portal origin every state-changing request carries
)

func TestMain(m *testing.M) {
	root, err := services.Root()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	logPath := filepath.Join(root, ".local", "logs", "e2e.log")
	_ = os.MkdirAll(filepath.Dir(logPath), 0o755)
	logFile, err := os.Create(logPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	stk, err = stack.Start(ctx, stack.Config{Root: root, Log: logFile, Schedule: time.Second, Faults: true})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the local stack:", err)
		os.Exit(2)
	}
	mailbox = services.Mailbox{URL: stk.MailboxURL}
	db = store.New(dynamo.Client(stk.DynamoURL), stk.Settings[wiring.TableName])
	portal = stk.Settings[wiring.PortalURL]
	code := m.Run()
	_ = stk.Close()
	_ = logFile.Close()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "local stack log: %s (last lines follow)\n", logPath)
		printTail(logPath, 60)
	}
	os.Exit(code)
}

func printTail(path string, n int) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	fmt.Fprintln(os.Stderr, strings.Join(lines, "\n"))
}

// browser is an HTTP client acting as the portal in a browser: it keeps cookies and sends the
// portal's Origin and a JSON content type with every state-changing request.
type browser struct{ *http.Client }

func newBrowser() browser {
	jar, _ := cookiejar.New(nil)
	return browser{&http.Client{Jar: jar, Timeout: 60 * time.Second, Transport: ownSource(), CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// sources numbers the loopback addresses ownSource hands out.
var sources atomic.Uint32

// ownSource is a transport that connects from a loopback address of its own (127.4.x.y): each
// browser is a person on their own connection, so the sign-in's per-source limits count per
// browser, as they do in life, and the suite's many sign-ins do not add up against one source.
func ownSource() *http.Transport {
	n := sources.Add(1)
	ip := net.IPv4(127, 4, byte(n/250), byte(n%250+1))
	return &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second,
		DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 10 * time.Second}).DialContext}
}

// call sends a request to the API. body may be nil, a string (sent as is) or a value (sent as JSON).
// Extra headers come in name, value pairs; an empty value removes a default header.
func (b browser) call(t *testing.T, method, path string, body any, headers ...string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(v)
	case []byte:
		rd = bytes.NewReader(v)
	default:
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, stk.APIURL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if method != http.MethodGet {
		req.Header.Set("Origin", portal)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	var sent []byte
	if rd != nil {
		sent, _ = io.ReadAll(rd)
		req.Body = io.NopCloser(bytes.NewReader(sent))
	}
	resp, err := b.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	checkContract(t, req, sent, resp, out)
	return resp, out
}

// decode unmarshals a JSON answer, failing the test with the body when it is not JSON.
func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, body)
	}
	return v
}

// Upload is one upload form of a created request.
type Upload struct {
	EvidenceID string            `json:"evidenceId"`
	URL        string            `json:"url"`
	Fields     map[string]string `json:"fields"`
	ExpiresAt  time.Time         `json:"expiresAt"`
}

// Created is the answer to POST /access-requests.
type Created struct {
	ID                string   `json:"id"`
	Status            string   `json:"status"`
	ContinuationToken string   `json:"continuationToken"`
	Uploads           []Upload `json:"uploads"`
}

// upload posts a file with its presigned form, as a browser does: every field, then the file last.
func upload(t *testing.T, u Upload, fileName, contentType string, content []byte) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range u.Fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, fileName))
	h.Set("Content-Type", contentType)
	part, err := w.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = part.Write(content)
	_ = w.Close()
	resp, err := http.Post(u.URL, w.FormDataContentType(), &buf)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// withField returns a copy of an upload form with one field changed, as a tampering browser would send it.
func withField(u Upload, name, value string) Upload {
	fields := map[string]string{}
	for k, v := range u.Fields {
		fields[k] = v
	}
	fields[name] = value
	u.Fields = fields
	return u
}

// mailTo returns the messages sent to an address, oldest first.
func mailTo(t *testing.T, to string) []services.Mail {
	t.Helper()
	all, err := mailbox.Messages(context.Background())
	if err != nil {
		t.Fatalf("mailbox: %v", err)
	}
	var out []services.Mail
	for _, m := range all {
		for _, a := range m.To {
			if strings.EqualFold(a, to) {
				out = append(out, m)
			}
		}
	}
	return out
}

// waitMail waits (bounded) for a message to an address whose subject contains subject.
func waitMail(t *testing.T, to, subject string) services.Mail {
	t.Helper()
	var found services.Mail
	eventually(t, 60*time.Second, "an email to "+to+" about "+subject, func() bool {
		for _, m := range mailTo(t, to) {
			if strings.Contains(m.Subject, subject) {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

// eventually polls cond until it holds or the bound passes; what is awaited is asynchronous
// (S3 events, the schedule), so this is a wait with a limit, not a timing assertion.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s after %s", what, limit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// uniqueEmail gives each test its own requester address, so tests do not read each other's mail.
func uniqueEmail(t *testing.T) string {
	return fmt.Sprintf("%s.%d@example.com", strings.ToLower(strings.NewReplacer("/", ".", "_", ".").Replace(t.Name())), time.Now().UnixNano())
}

// minimalPDF is a small well-formed PDF with no active content.
func minimalPDF() []byte {
	return []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
}

// requestBody is a valid access request for a deputy with the given files.
func requestBody(email string, files ...map[string]any) map[string]any {
	if files == nil {
		files = []map[string]any{}
	}
	return map[string]any{
		"requester":    map[string]any{"name": "Dee Puty", "email": email, "phone": "01632 960001"},
		"relationship": "deputy",
		"client":       map[string]any{"name": "Cli Ent", "dateOfBirth": "1941-03-04", "postcode": "SW1A 1AA"},
		"evidence":     files,
	}
}

func pdfFile(name string, size int) map[string]any {
	return map[string]any{"fileName": name, "contentType": "application/pdf", "size": size}
}
