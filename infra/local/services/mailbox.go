package services

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Mailbox reads the mail aws-ses-v2-local has accepted, as tests and the local stack's README use it.
// URL is the emulator's base URL (Process.URL of StartSES).
type Mailbox struct{ URL string }

// Mail is one message SES was asked to send. Addresses are as the sender wrote them, display name
// included ("Portal <portal@council.example>").
type Mail struct {
	MessageID   string // the MessageId SendEmail answered
	From        string
	To, Cc, Bcc []string
	ReplyTo     []string
	Subject     string
	Text, HTML  string // the plain-text and HTML bodies ("" when absent)
	Headers     []Header
	Attachments []Attachment
	At          time.Time // when the emulator accepted it (second precision)
}

// Header is a message header given in SendEmail's simple content.
type Header struct{ Name, Value string }

// Attachment describes an attached file (its content is not kept here).
type Attachment struct {
	FileName, ContentType string
	Size                  int
}

// storeMail is the shape of one email in aws-ses-v2-local 2.10.2's GET /store.
type storeMail struct {
	MessageID   string   `json:"messageId"`
	From        string   `json:"from"`
	ReplyTo     []string `json:"replyTo"`
	Destination struct {
		To  []string `json:"to"`
		Cc  []string `json:"cc"`
		Bcc []string `json:"bcc"`
	} `json:"destination"`
	Subject string `json:"subject"`
	Body    struct {
		HTML string `json:"html"`
		Text string `json:"text"`
	} `json:"body"`
	Headers []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"headers"`
	Attachments []struct {
		FileName    string `json:"filename"`
		ContentType string `json:"contentType"`
		Size        int    `json:"size"`
	} `json:"attachments"`
	At int64 `json:"at"` // epoch seconds
}

// Messages returns every message in the mailbox, oldest first.
func (m Mailbox) Messages(ctx context.Context) ([]Mail, error) {
	var store struct {
		Emails []storeMail `json:"emails"`
	}
	if err := m.do(ctx, http.MethodGet, "/store", &store); err != nil {
		return nil, err
	}
	mails := make([]Mail, 0, len(store.Emails))
	for _, e := range store.Emails {
		mail := Mail{
			MessageID: e.MessageID, From: e.From, ReplyTo: e.ReplyTo,
			To: e.Destination.To, Cc: e.Destination.Cc, Bcc: e.Destination.Bcc,
			Subject: e.Subject, Text: e.Body.Text, HTML: e.Body.HTML,
			At: time.Unix(e.At, 0).UTC(),
		}
		for _, h := range e.Headers {
			mail.Headers = append(mail.Headers, Header{Name: h.Name, Value: h.Value})
		}
		for _, a := range e.Attachments {
			mail.Attachments = append(mail.Attachments, Attachment{FileName: a.FileName, ContentType: a.ContentType, Size: a.Size})
		}
		mails = append(mails, mail)
	}
	return mails, nil
}

// Clear empties the mailbox.
func (m Mailbox) Clear(ctx context.Context) error {
	return m.do(ctx, http.MethodPost, "/clear-store", nil)
}

// do sends one request to the emulator and decodes its JSON answer into out (when out is not nil).
func (m Mailbox) do(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(m.URL, "/")+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("mailbox: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("mailbox: %s %s answered %s: %s", method, path, resp.Status, body)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("mailbox: %s %s: %w", method, path, err)
	}
	return nil
}
