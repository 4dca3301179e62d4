package ses

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

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
	s := Sender{SES: Client(cloud.Config()), From: "portal@council.example", ReplyTo: "cf@council.example"}
	id, err := s.Send(context.Background(), "ann@example.com", mail.Rendered{Subject: "s", Text: "t", HTML: "h"}, "m1")
	if err != nil || id != "m-1" {
		t.Fatalf("send: %q %v", id, err)
	}
	if n := sends.Load(); n != 1 {
		t.Fatalf("SES was asked %d times, want once", n)
	}
}

// fakeSES keeps what it was asked to send.
type fakeSES struct{ in []*sesv2.SendEmailInput }

func (f *fakeSES) SendEmail(_ context.Context, in *sesv2.SendEmailInput, _ ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	f.in = append(f.in, in)
	return &sesv2.SendEmailOutput{MessageId: aws.String("m-1")}, nil
}

// A reply to any email reaches the Client Finance team (the brand's contact address), not the
// no-reply sender; a sender without that address sends nothing.
func TestEveryEmailHasTheContactAddressAsReplyTo(t *testing.T) {
	f := &fakeSES{}
	s := Sender{SES: f, From: "no-reply@council.example", ReplyTo: "clientfinance@council.example"}
	if _, err := s.Send(context.Background(), "ann@example.com", mail.Rendered{Subject: "s", Text: "t", HTML: "h"}, "m1"); err != nil {
		t.Fatal(err)
	}
	if len(f.in) != 1 || !slices.Equal(f.in[0].ReplyToAddresses, []string{"clientfinance@council.example"}) ||
		aws.ToString(f.in[0].FromEmailAddress) != "no-reply@council.example" {
		t.Fatalf("sent %+v", f.in)
	}
	s.ReplyTo = ""
	if _, err := s.Send(context.Background(), "ann@example.com", mail.Rendered{Subject: "s", Text: "t", HTML: "h"}, "m2"); !errors.Is(err, ErrNoReplyTo) || len(f.in) != 1 {
		t.Errorf("without a Reply-To: %v, %d sent", err, len(f.in))
	}
}
