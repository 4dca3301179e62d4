package store_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/council/cfp/infra/local/storetest"
	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/brand"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/store"
)

var (
	passed    = store.Check{ETag: "e1", SHA256: "abc"}
	refusedC  = store.Check{ETag: "e1", SHA256: "abc", Problem: "The file is empty."}
	clean     = store.Verdict{ETag: "e1", Outcome: access.Clean, Value: "NO_THREATS_FOUND"}
	infected  = store.Verdict{ETag: "e1", Outcome: access.Infected, Value: "THREATS_FOUND", Reason: "virus"}
	failed    = store.Verdict{ETag: "e1", Outcome: access.ScanFailed, Value: "UNSUPPORTED", Reason: "could not scan"}
	reviewers = access.Reviewers{To: []access.Email{"rev1@council.example", "rev2@council.example"}}
)

// withEvidence creates a request (in status st) with n evidence files of the current round.
func withEvidence(t *testing.T, s *store.Store, st access.Status, n int) (access.Request, []access.Evidence) {
	t.Helper()
	r, _ := newRequest()
	var ev []access.Evidence
	for i := 0; i < n; i++ {
		ev = append(ev, access.Evidence{ID: access.NewEvidenceID(), RequestID: r.ID, File: access.File{FileName: fmt.Sprintf("f%d.pdf", i), ContentType: "application/pdf", Size: 10}, Status: access.AwaitingUpload})
	}
	if err := s.CreateRequest(ctx, r, ev, nil); err != nil {
		t.Fatal(err)
	}
	if st != access.AwaitingEvidence {
		if err := s.ForceStatus(ctx, r.ID, st); err != nil {
			t.Fatal(err)
		}
		r.Status = st
	}
	return r, ev
}

type fact struct {
	check   *store.Check
	verdict *store.Verdict
}

func (f fact) record(s *store.Store, e access.Evidence) (access.Evidence, store.Scan, error) {
	if f.check != nil {
		return s.RecordCheck(ctx, e.RequestID, e.ID, *f.check)
	}
	return s.RecordVerdict(ctx, e.RequestID, e.ID, *f.verdict)
}

func mailOf(t *testing.T, s *store.Store, tmpl mail.Template) []mail.Message {
	t.Helper()
	due, err := s.DueMail(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []mail.Message
	for _, q := range due {
		if q.Template == tmpl {
			out = append(out, q.Message)
		}
	}
	return out
}

func TestEvidenceEndsInTheSameStateWhateverTheOrder(t *testing.T) {
	s, _ := storetest.New(t)
	cases := []struct {
		name    string
		facts   []fact
		want    access.EvidenceStatus
		remove  bool
		emailed bool
	}{
		{"clean", []fact{{check: &passed}, {verdict: &clean}}, access.Clean, false, false},
		{"infected", []fact{{check: &passed}, {verdict: &infected}}, access.Infected, true, true},
		{"scan failed", []fact{{check: &passed}, {verdict: &failed}}, access.ScanFailed, false, true},
		{"rejected, verdict clean", []fact{{check: &refusedC}, {verdict: &clean}}, access.EvRejected, true, true},
		{"rejected, verdict infected", []fact{{check: &refusedC}, {verdict: &infected}}, access.Infected, true, true},
		{"checks only", []fact{{check: &passed}}, access.EvScanning, false, false},
		{"rejected, verdict not in yet", []fact{{check: &refusedC}}, access.EvRejected, false, true},
	}
	for _, c := range cases {
		orders := [][]fact{c.facts, reverse(c.facts), append(append([]fact{}, c.facts...), c.facts...), append(reverse(c.facts), c.facts...)}
		for i, order := range orders {
			r, ev := withEvidence(t, s, access.Scanning, 1)
			var got access.Evidence
			var facts store.Scan
			for _, f := range order {
				var err error
				if got, facts, err = f.record(s, ev[0]); err != nil {
					t.Fatal(err)
				}
			}
			read, readFacts, err := s.Evidence(ctx, r.ID, ev[0].ID)
			if err != nil || read.Status != c.want || got.Status != c.want || readFacts != facts || facts.Remove() != c.remove {
				t.Errorf("%s, order %d: status %s (read %s), remove %v: %+v", c.name, i, got.Status, read.Status, facts.Remove(), facts)
			}
			if c.want != access.EvScanning && c.want != access.Clean && read.Reason == "" {
				t.Errorf("%s: refused without a reason", c.name)
			}
			if read.SHA256 != "abc" || read.UploadedAt.IsZero() {
				t.Errorf("%s: hash %q uploaded %v", c.name, read.SHA256, read.UploadedAt)
			}
			n := 0
			for _, m := range mailOf(t, s, mail.UploadProblem) {
				if m.Request == r.ID {
					n++
					if m.To != r.Requester.Email || m.FileName != "f0.pdf" || m.Reason == "" {
						t.Errorf("%s: upload problem email %+v", c.name, m)
					}
				}
			}
			if want := map[bool]int{true: 1, false: 0}[c.emailed]; n != want {
				t.Errorf("%s, order %d: %d upload problem emails, want %d", c.name, i, n, want)
			}
		}
	}
}

func reverse(f []fact) []fact {
	out := make([]fact, len(f))
	for i := range f {
		out[len(f)-1-i] = f[i]
	}
	return out
}

func TestAFinalVerdictStays(t *testing.T) {
	s, _ := storetest.New(t)
	_, ev := withEvidence(t, s, access.Scanning, 1)
	e := ev[0]
	_, _, _ = s.RecordCheck(ctx, e.RequestID, e.ID, passed)
	_, _, _ = s.RecordVerdict(ctx, e.RequestID, e.ID, clean)
	for _, f := range []fact{{verdict: &failed}, {check: &refusedC}, {check: &passed}, {verdict: &clean}} {
		if got, _, err := f.record(s, e); err != nil || got.Status != access.Clean {
			t.Fatalf("after %+v: %s %v", f, got.Status, err)
		}
	}
	// An infected verdict is the one fact that still counts: a threat is never ignored.
	if got, facts, _ := s.RecordVerdict(ctx, e.RequestID, e.ID, infected); got.Status != access.Infected || !facts.Remove() {
		t.Fatalf("infected after clean: %s", got.Status)
	}
}

func TestASecondObjectOnTheSameKeyIsRejected(t *testing.T) {
	s, _ := storetest.New(t)
	_, ev := withEvidence(t, s, access.Scanning, 1)
	e := ev[0]
	if _, _, err := s.RecordCheck(ctx, e.RequestID, e.ID, passed); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.RecordVerdict(ctx, e.RequestID, e.ID, clean); err != nil {
		t.Fatal(err)
	}
	got, facts, err := s.RecordCheck(ctx, e.RequestID, e.ID, store.Check{ETag: "e2", SHA256: "def"})
	if err != nil || got.Status != access.EvRejected || !facts.Remove() || got.Reason == "" {
		t.Fatalf("%s %q %v", got.Status, got.Reason, err)
	}
	// A late verdict for either version changes nothing now.
	if got, _, _ := s.RecordVerdict(ctx, e.RequestID, e.ID, store.Verdict{ETag: "e2", Outcome: access.Clean}); got.Status != access.EvRejected {
		t.Fatalf("late verdict: %s", got.Status)
	}
}

// The version id and the hash of the bytes checked are kept; another version with the same ETag
// is a second object.
func TestTheVersionCheckedIsKept(t *testing.T) {
	s, _ := storetest.New(t)
	_, ev := withEvidence(t, s, access.Scanning, 1)
	e := ev[0]
	if _, _, err := s.RecordCheck(ctx, e.RequestID, e.ID, store.Check{Version: "v1", ETag: "e1", SHA256: "abc"}); err != nil {
		t.Fatal(err)
	}
	if _, facts, err := s.Evidence(ctx, e.RequestID, e.ID); err != nil || facts.Version != "v1" || facts.SHA256 != "abc" || !facts.Is("v1", "e1") {
		t.Fatalf("%+v %v", facts, err)
	}
	got, facts, err := s.RecordVerdict(ctx, e.RequestID, e.ID, store.Verdict{Version: "v2", ETag: "e1", Outcome: access.Clean})
	if err != nil || got.Status != access.EvRejected || !facts.Replaced || facts.Version != "v1" {
		t.Fatalf("%s %+v %v", got.Status, facts, err)
	}
}

// A rendition is recorded only for the version that is clean, and read back with the evidence.
func TestARenditionIsOfTheCleanVersion(t *testing.T) {
	s, _ := storetest.New(t)
	_, ev := withEvidence(t, s, access.Scanning, 1)
	e := ev[0]
	rd := access.Rendition{Version: "v1", SHA256: "abc", Key: access.RenditionKey(e.RequestID, e.ID), Object: "rv1", Type: "application/pdf", Pages: 2}
	if err := s.RecordRendition(ctx, e.RequestID, e.ID, rd); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a rendition of a file not yet clean: %v", err)
	}
	s.RecordCheck(ctx, e.RequestID, e.ID, store.Check{Version: "v1", ETag: "e1", SHA256: "abc"})
	s.RecordVerdict(ctx, e.RequestID, e.ID, store.Verdict{Version: "v1", ETag: "e1", Outcome: access.Clean})
	if err := s.RecordRendition(ctx, e.RequestID, e.ID, access.Rendition{Version: "v0", SHA256: "abc"}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a rendition of another version: %v", err)
	}
	if err := s.RecordRendition(ctx, e.RequestID, e.ID, rd); err != nil {
		t.Fatal(err)
	}
	got, facts, err := s.Evidence(ctx, e.RequestID, e.ID)
	if err != nil || got.Rendition == nil || *got.Rendition != rd || !got.Rendition.For(facts) || got.Status != access.Clean {
		t.Fatalf("%+v %v", got.Rendition, err)
	}
	if err := s.RecordRendition(ctx, "rnope", "enope", rd); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown evidence: %v", err)
	}
}

func TestRecordingForUnknownEvidence(t *testing.T) {
	s, _ := storetest.New(t)
	if _, _, err := s.RecordCheck(ctx, "rnope", "enope", passed); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("check: %v", err)
	}
	if _, _, err := s.Evidence(ctx, "rnope", "enope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("read: %v", err)
	}
	if _, err := s.PromoteIfReady(ctx, "rnope", reviewers); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("promote: %v", err)
	}
}

func TestConcurrentEventsLoseNoFact(t *testing.T) {
	s, _ := storetest.New(t)
	_, ev := withEvidence(t, s, access.AwaitingEvidence, 1)
	e := ev[0]
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(2)
		go func() { defer wg.Done(); _, _, _ = s.RecordCheck(ctx, e.RequestID, e.ID, passed) }()
		go func() { defer wg.Done(); _, _, _ = s.RecordVerdict(ctx, e.RequestID, e.ID, clean) }()
	}
	wg.Wait()
	if got, _, _ := s.Evidence(ctx, e.RequestID, e.ID); got.Status != access.Clean {
		t.Fatalf("status %s", got.Status)
	}
}

func reviewMail(t *testing.T, s *store.Store, id access.RequestID) []mail.Message {
	var out []mail.Message
	for _, m := range mailOf(t, s, mail.ReadyForReview) {
		if m.Request == id {
			out = append(out, m)
		}
	}
	return out
}

func TestPromotionWaitsForSubmitAndEveryFile(t *testing.T) {
	s, _ := storetest.New(t)
	r, ev := withEvidence(t, s, access.AwaitingEvidence, 2)
	for _, e := range ev {
		_, _, _ = s.RecordCheck(ctx, r.ID, e.ID, passed)
	}
	_, _, _ = s.RecordVerdict(ctx, r.ID, ev[0].ID, clean)
	if st, err := s.PromoteIfReady(ctx, r.ID, reviewers); err != nil || st != access.AwaitingEvidence {
		t.Fatalf("before submit: %s %v", st, err)
	}
	if err := s.SubmitRequest(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.PromoteIfReady(ctx, r.ID, reviewers); st != access.Scanning {
		t.Fatalf("one file still scanning: %s", st)
	}
	_, _, _ = s.RecordVerdict(ctx, r.ID, ev[1].ID, clean)
	if st, _ := s.PromoteIfReady(ctx, r.ID, reviewers); st != access.ReadyForReview {
		t.Fatalf("all clean: %s", st)
	}
	if st, _ := s.PromoteIfReady(ctx, r.ID, reviewers); st != access.ReadyForReview {
		t.Fatalf("again: %s", st)
	}
	got, _, _ := s.Request(ctx, r.ID)
	if got.Status != access.ReadyForReview {
		t.Fatalf("stored status %s", got.Status)
	}
	msgs := reviewMail(t, s, r.ID)
	if len(msgs) != 2 {
		t.Fatalf("%d review emails", len(msgs))
	}
	for _, m := range msgs {
		if m.Link != nil || m.Request != r.ID || m.Relationship != access.Deputy {
			t.Errorf("review email %+v %+v", m, m.Link)
		}
		if _, err := mail.Render(m, "", mail.Bases{Portal: "https://portal.example", Brand: brand.Sample()}); err != nil {
			t.Errorf("the review email does not render: %v", err)
		}
	}
	if msgs[0].To == msgs[1].To {
		t.Error("both emails to the same reviewer")
	}
}

func TestARequestWithNoFilesIsReadyOnSubmit(t *testing.T) {
	s, _ := storetest.New(t)
	r, _ := withEvidence(t, s, access.Scanning, 0)
	if st, err := s.PromoteIfReady(ctx, r.ID, reviewers); err != nil || st != access.ReadyForReview {
		t.Fatalf("%s %v", st, err)
	}
}

func TestPromotionHappensExactlyOnceUnderRaces(t *testing.T) {
	s, _ := storetest.New(t)
	for round := 0; round < 5; round++ {
		r, ev := withEvidence(t, s, access.Scanning, 3)
		for _, e := range ev {
			_, _, _ = s.RecordCheck(ctx, r.ID, e.ID, passed)
		}
		var wg sync.WaitGroup
		results := make(chan access.Status, 3*len(ev))
		for _, e := range ev {
			for i := 0; i < 3; i++ { // each file's verdict delivered three times at once
				wg.Add(1)
				go func(e access.Evidence) {
					defer wg.Done()
					if _, _, err := s.RecordVerdict(ctx, r.ID, e.ID, clean); err != nil {
						t.Error(err)
						return
					}
					st, err := s.PromoteIfReady(ctx, r.ID, reviewers)
					if err != nil {
						t.Error(err)
					}
					results <- st
				}(e)
			}
		}
		wg.Wait()
		close(results)
		if got, _, _ := s.Request(ctx, r.ID); got.Status != access.ReadyForReview {
			t.Fatalf("status %s", got.Status)
		}
		if n := len(reviewMail(t, s, r.ID)); n != len(reviewers.To) {
			t.Fatalf("%d review emails, want %d", n, len(reviewers.To))
		}
	}
}

func TestReplacingARefusedFileLetsTheRequestThrough(t *testing.T) {
	s, _ := storetest.New(t)
	r, ev := withEvidence(t, s, access.Scanning, 2)
	for _, e := range ev {
		_, _, _ = s.RecordCheck(ctx, r.ID, e.ID, passed)
	}
	_, _, _ = s.RecordVerdict(ctx, r.ID, ev[0].ID, clean)
	_, _, _ = s.RecordVerdict(ctx, r.ID, ev[1].ID, infected)
	if st, _ := s.PromoteIfReady(ctx, r.ID, reviewers); st != access.Scanning {
		t.Fatalf("with an infected file: %s", st)
	}
	again := access.Evidence{ID: access.NewEvidenceID(), RequestID: r.ID, File: access.File{FileName: "new.pdf", ContentType: "application/pdf", Size: 5}, Status: access.AwaitingUpload, Round: r.Round}
	if err := s.AddEvidence(ctx, r, []access.Evidence{again}, []access.EvidenceID{ev[0].ID}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("replacing a clean file: %v", err)
	}
	if _, all, _ := s.Request(ctx, r.ID); len(all) != 2 {
		t.Fatal("a refused transaction wrote something")
	}
	stale := r
	stale.Status = access.AwaitingEvidence
	if err := s.AddEvidence(ctx, stale, []access.Evidence{again}, nil); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale request: %v", err)
	}
	if err := s.AddEvidence(ctx, r, []access.Evidence{again}, []access.EvidenceID{ev[1].ID}); err != nil {
		t.Fatal(err)
	}
	_, all, _ := s.Request(ctx, r.ID)
	rounds := map[access.EvidenceID]int{}
	for _, e := range all {
		rounds[e.ID] = e.Round
	}
	if len(all) != 3 || rounds[ev[1].ID] != access.ReplacedRound || rounds[again.ID] != r.Round {
		t.Fatalf("after replacing: %v", rounds)
	}
	if st, _ := s.PromoteIfReady(ctx, r.ID, reviewers); st != access.Scanning {
		t.Fatalf("new file not scanned yet: %s", st)
	}
	_, _, _ = s.RecordCheck(ctx, r.ID, again.ID, passed)
	_, _, _ = s.RecordVerdict(ctx, r.ID, again.ID, clean)
	if st, _ := s.PromoteIfReady(ctx, r.ID, reviewers); st != access.ReadyForReview {
		t.Fatalf("all current files clean: %s", st)
	}
}

// The reviewers' emails ask for no token: they link to the request's page in the staff workspace,
// which the staff session authorises.
func TestReviewEmailsAskForNoToken(t *testing.T) {
	s, _ := storetest.New(t)
	r, _ := withEvidence(t, s, access.Scanning, 0)
	if st, err := s.PromoteIfReady(ctx, r.ID, reviewers); err != nil || st != access.ReadyForReview {
		t.Fatalf("%s %v", st, err)
	}
	msgs := reviewMail(t, s, r.ID)
	if len(msgs) != len(reviewers.To) {
		t.Fatalf("%d review emails", len(msgs))
	}
	for _, m := range msgs {
		if m.Link != nil {
			t.Errorf("a review email asks for a token: %+v", m.Link)
		}
		if r, _ := mail.Render(m, "", mail.Bases{Portal: "https://portal.example", Brand: brand.Sample()}); !strings.Contains(r.Text, "https://portal.example/staff/requests/"+string(m.Request)) {
			t.Errorf("the review email does not link to the request's page: %s", r.Text)
		}
	}
}
