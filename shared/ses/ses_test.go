package ses

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/council/cfp/shared/cloud"
	"github.com/council/cfp/shared/mail"
)

// SES that is slow to answer a send it has made must be waited for, not given up on and asked
// again: a second attempt would send the email twice. (DynamoDB and S3 calls are given up on after
// cloud.Silence; a send gets cloud.SendSilence.)
func TestASlowAnswerFromSESIsWaitedForNotSentAgain(t *testing.T) {
	var sends atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sends.Add(1)
		time.Sleep(cloud.Silence + time.Second) // longer than a DynamoDB call may be silent
		w.Write([]byte(`{"MessageId":"m-1"}`))
	}))
	defer srv.Close()
	t.Setenv("AWS_REGION", "eu-west-2")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_ENDPOINT_URL_SESV2", srv.URL)
	s := Sender{SES: Client(cloud.Config()), From: "portal@council.example"}
	id, err := s.Send(context.Background(), "ann@example.com", mail.Rendered{Subject: "s", Text: "t", HTML: "h"}, "m1")
	if err != nil || id != "m-1" {
		t.Fatalf("send: %q %v", id, err)
	}
	if n := sends.Load(); n != 1 {
		t.Fatalf("SES was asked %d times, want once", n)
	}
}
