package services

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// dynamoDBStartLimit bounds the wait for DynamoDB Local (about 2.5 s on this machine's kind).
const dynamoDBStartLimit = 90 * time.Second

// StartDynamoDB runs DynamoDB Local from .local/tools/dynamodb on 127.0.0.1:port (port 0: a free one),
// with -sharedDb so every client sees the same tables whatever its credentials and region.
// Data lives in dataDir (created if missing) and survives a restart; dataDir "" keeps it in memory.
// It returns once ListTables answers, or fails with the server's output.
func StartDynamoDB(ctx context.Context, dataDir string, port int, log io.Writer) (*Process, error) {
	root, err := Root()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(root, ".local", "tools", "dynamodb")
	jar := filepath.Join(dir, "DynamoDBLocal.jar")
	launcher := filepath.Join(dir, "launcher")
	if err := needFile("DynamoDB Local", jar); err != nil {
		return nil, err
	}
	if err := needFile("the DynamoDB Local loopback launcher", filepath.Join(launcher, "LoopbackDynamoDB.class")); err != nil {
		return nil, err
	}
	java, err := exec.LookPath("java")
	if err != nil {
		return nil, fmt.Errorf("services: java not found (DynamoDB Local needs it): %s", installHint)
	}
	if port, err = portOrFree(port); err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))

	args := []string{
		"-Djava.library.path=" + filepath.Join(dir, "DynamoDBLocal_lib"), // sqlite4java's native library
		"-Djava.net.preferIPv4Stack=true",
		"-Dcfp.host=127.0.0.1", // read by LoopbackDynamoDB: DynamoDB Local itself cannot bind one address
		"-XX:+UseSerialGC",     // a small heap on a 2-core machine shared with the tests
		"-cp", jar + string(os.PathListSeparator) + launcher,
		"LoopbackDynamoDB",
		"-port", strconv.Itoa(port), "-sharedDb", "-disableTelemetry",
	}
	if dataDir == "" {
		args = append(args, "-inMemory")
	} else {
		abs, err := filepath.Abs(dataDir)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return nil, fmt.Errorf("services: dynamodb data directory: %w", err)
		}
		args = append(args, "-dbPath", abs)
	}
	cmd := exec.Command(java, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DDB_LOCAL_TELEMETRY=0") // telemetry is on unless this says 0

	p, err := start("dynamodb", addr, "LoopbackDynamoDB: listening", cmd, log)
	if err != nil {
		return nil, err
	}
	if err := p.waitReady(ctx, dynamoDBStartLimit, func(ctx context.Context) error { return listTables(ctx, p.URL()) }); err != nil {
		_ = p.Close()
		return nil, err
	}
	return p, nil
}

// listTables sends the smallest real DynamoDB request. DynamoDB Local checks that a request names an
// access key but not its signature, so a dummy Authorization header is enough.
func listTables(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader("{}"))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=local/20200101/eu-west-2/dynamodb/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "TableNames") {
		return fmt.Errorf("%w: ListTables answered %s", errNotReady, resp.Status)
	}
	return nil
}
