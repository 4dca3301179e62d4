package storetest

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/council/cfp/infra/local/dynamo"
	"github.com/council/cfp/infra/local/services"
	"github.com/council/cfp/shared/store"
)

var (
	once  sync.Once
	proc  *services.Process
	err   error
	table atomic.Int64
)

// Main runs the package's tests and stops DynamoDB Local afterwards. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if proc != nil {
		_ = proc.Close()
	}
	os.Exit(code)
}

// URL starts DynamoDB Local if it is not running yet and returns its endpoint.
func URL(t testing.TB) string {
	t.Helper()
	once.Do(func() { proc, err = services.StartDynamoDB(context.Background(), "", 0, io.Discard) })
	if err != nil {
		t.Fatalf("DynamoDB Local: %v", err)
	}
	return proc.URL()
}

// New returns a store over a fresh table of its own, so tests do not see each other's items.
func New(t testing.TB) (*store.Store, string) {
	t.Helper()
	url := URL(t)
	name := fmt.Sprintf("test-%d", table.Add(1))
	if err := dynamo.CreateTable(context.Background(), url, name); err != nil {
		t.Fatal(err)
	}
	return store.New(dynamo.Client(url), name), name
}
