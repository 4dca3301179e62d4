package services

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

// Mail sent with the SES v2 SDK shows up in the Mailbox, both bodies included, until it is cleared.
func TestSESMailReachesMailbox(t *testing.T) {
	ctx := testContext(t)
	p, err := StartSES(ctx, 0, testLog{t})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	assertLoopbackOnly(t, p)
	mailbox := Mailbox{URL: p.URL()}

	if got, err := mailbox.Messages(ctx); err != nil || len(got) != 0 {
		t.Fatalf("a new mailbox holds %v (%v); want nothing", got, err)
	}
	ses := sesv2.NewFromConfig(awsConfig(), func(o *sesv2.Options) { o.BaseEndpoint = aws.String(p.URL()) })
	sent, err := ses.SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("Client Finance Portal <portal@council.example>"),
		Destination:      &types.Destination{ToAddresses: []string{"attorney@example.com"}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String("Your access request was received")},
			Body: &types.Body{
				Text: &types.Content{Data: aws.String("We have your request.")},
				Html: &types.Content{Data: aws.String("<p>We have your request.</p>")},
			},
		}},
	})
	if err != nil {
		t.Fatalf("SendEmail: %v", err)
	}

	got, err := mailbox.Messages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("mailbox holds %d messages; want 1: %+v", len(got), got)
	}
	m := got[0]
	if m.MessageID != aws.ToString(sent.MessageId) || m.From != "Client Finance Portal <portal@council.example>" ||
		!slices.Equal(m.To, []string{"attorney@example.com"}) || m.Subject != "Your access request was received" ||
		m.Text != "We have your request." || m.HTML != "<p>We have your request.</p>" ||
		len(m.Attachments) != 0 || m.At.IsZero() {
		t.Fatalf("mail read back as %+v", m)
	}

	if err := mailbox.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := mailbox.Messages(ctx); err != nil || len(got) != 0 {
		t.Fatalf("after Clear the mailbox holds %v (%v); want nothing", got, err)
	}
	assertStopped(t, p)
}

// A server that dies under its user closes Done, and Close reports it.
func TestCloseReportsAServerThatDied(t *testing.T) {
	ctx := testContext(t)
	p, err := StartSES(ctx, 0, testLog{t})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.Done()
	if err := p.Close(); err == nil || !strings.Contains(err.Error(), "ses had exited before Close") {
		t.Fatalf("Close after the server died: %v; want an error saying so", err)
	}
}
