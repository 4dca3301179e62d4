package bucket

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"
)

// aws-lambda-go's events/testdata/s3-event.json, one record.
const sample = `{"Records":[{"eventVersion":"2.0","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"1970-01-01T00:00:00.123Z",
"eventName":"ObjectCreated:Put","userIdentity":{"principalId":"EXAMPLE"},"requestParameters":{"sourceIPAddress":"127.0.0.1"},
"s3":{"s3SchemaVersion":"1.0","configurationId":"testConfigRule","bucket":{"name":"sourcebucket","ownerIdentity":{"principalId":"EXAMPLE"},"arn":"arn:aws:s3:::mybucket"},
"object":{"key":"Happy%20Face.jpg","size":1024,"versionId":"version","eTag":"d41d8cd98f00b204e9800998ecf8427e","sequencer":"Happy Sequencer"}}}]}`

func TestAnEventIsReadAsS3WritesIt(t *testing.T) {
	var ev Event
	if err := json.Unmarshal([]byte(sample), &ev); err != nil {
		t.Fatal(err)
	}
	want := Record{Name: "ObjectCreated:Put", Bucket: "sourcebucket", Key: "Happy Face.jpg", ETag: "d41d8cd98f00b204e9800998ecf8427e", Version: "version", Size: 1024, Sequencer: "Happy Sequencer"}
	if len(ev.Records) != 1 || ev.Records[0] != want || !ev.Records[0].Created() {
		t.Fatalf("%+v", ev.Records)
	}
	// Keys are encoded as in a form ('+' a space, '%2B' a plus); ETags may come quoted.
	var odd Event
	if err := json.Unmarshal([]byte(`{"Records":[{"eventName":"ObjectTagging:Put","s3":{"object":{"key":"inbound/run+7/a%2Bb+%C3%A9.pdf","eTag":"\"e1\""}}}]}`), &odd); err != nil {
		t.Fatal(err)
	}
	if r := odd.Records[0]; r.Key != "inbound/run 7/a+b é.pdf" || r.ETag != "e1" || r.Created() {
		t.Fatalf("%+v", r)
	}
	for _, name := range []string{"publish-document-created.json", "scan-upload-object-created.json", "scan-upload-tagging.json"} {
		raw, err := os.ReadFile("../../events/" + name)
		if err != nil {
			t.Fatal(err)
		}
		var ev Event
		if err := json.Unmarshal(raw, &ev); err != nil || len(ev.Records) != 1 || ev.Records[0].bad != nil || ev.Records[0].Key == "" || ev.Records[0].ETag == "" {
			t.Fatalf("%s: %+v %v", name, ev.Records, err)
		}
	}
}

// One record that cannot be read among good ones: the good ones are handled, the bad one logged
// without its key, and the event succeeds, as no retry could mend it.
func TestABadRecordIsSkippedAndTheOthersHandled(t *testing.T) {
	body := `{"Records":[
		{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"inbound/a.pdf"}}},
		{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"inbound/secret%zz.pdf","sequencer":"s2"}}},
		{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"inbound/secret.pdf","size":"twelve"}}},
		{"eventName":["ObjectCreated:Put"]},
		null,
		{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"inbound/c+d.pdf"}}}]}`
	var ev Event
	if err := json.Unmarshal([]byte(body), &ev); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	var handled []string
	err := ev.Each(context.Background(), slog.New(slog.NewJSONHandler(&logs, nil)), func(_ context.Context, r Record) error {
		handled = append(handled, r.Key)
		return nil
	})
	if err != nil {
		t.Fatalf("bad records failed the event: %v", err)
	}
	if strings.Join(handled, ",") != "inbound/a.pdf,,inbound/c d.pdf" { // a null record is empty: each handler ignores it
		t.Fatalf("handled %q", handled)
	}
	if n := strings.Count(logs.String(), "record skipped: it cannot be read"); n != 3 || strings.Contains(logs.String(), "secret") {
		t.Fatalf("%d bad records logged, or a key logged: %s", n, logs.String())
	}
}

// A record that fails does not stop the others, and fails the event so that Lambda retries it.
func TestAFailedRecordFailsTheEventAfterTheOthers(t *testing.T) {
	ev := Event{Records: []Record{{Key: "a"}, {Key: "b"}, {Key: "c"}}}
	unavailable := errors.New("S3 unavailable")
	var handled []string
	var logs bytes.Buffer
	err := ev.Each(context.Background(), slog.New(slog.NewJSONHandler(&logs, nil)), func(_ context.Context, r Record) error {
		handled = append(handled, r.Key)
		if r.Key == "b" {
			return unavailable
		}
		return nil
	})
	if !errors.Is(err, unavailable) || strings.Join(handled, "") != "abc" {
		t.Fatalf("%v, handled %q", err, handled)
	}
	if !strings.Contains(logs.String(), "record not handled, the event will be retried") {
		t.Fatalf("not logged: %s", logs.String())
	}
}

func TestOnlyABodyWithoutRecordsIsRefused(t *testing.T) {
	for _, body := range []string{`[]`, `"x"`, `{"Records":{}}`, `{"Records":"x"}`} {
		var ev Event
		if json.Unmarshal([]byte(body), &ev) == nil {
			t.Errorf("%s was read as an event", body)
		}
	}
	for _, body := range []string{`{}`, `{"Records":null}`, `{"Records":[]}`} {
		var ev Event
		if err := json.Unmarshal([]byte(body), &ev); err != nil || len(ev.Records) != 0 {
			t.Errorf("%s: %v", body, err)
		}
	}
}

// FuzzKey: a record's key is decoded as a form value once; a key that does not decode makes a
// record Each skips, never an event that fails.
func FuzzKey(f *testing.F) {
	for _, k := range []string{"Happy%20Face.jpg", "a+b%2Bc", "%zz", "%", "evidence/r1/e1", "%C3%A9", "\xbf", "\x8e\x94", ""} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		key = strings.ToValidUTF8(key, "\uFFFD") // as JSON carries it: S3 sends UTF-8 only
		body, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{"s3": map[string]any{"object": map[string]any{"key": key}}}}})
		var ev Event
		if err := json.Unmarshal(body, &ev); err != nil || len(ev.Records) != 1 {
			t.Fatalf("%v", err)
		}
		want, err := url.QueryUnescape(key)
		if r := ev.Records[0]; (err != nil) != (r.bad != nil) || r.Key != want && err == nil {
			t.Fatalf("%q read as %+v; want %q (%v)", key, r, want, err)
		}
		calls := 0
		err = ev.Each(context.Background(), slog.New(slog.DiscardHandler), func(context.Context, Record) error { calls++; return nil })
		if err != nil || (calls == 1) != (ev.Records[0].bad == nil) {
			t.Fatalf("each: %v, %d calls", err, calls)
		}
	})
}
