package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
)

// fakeScans is the store's scanning side over the in-memory store of handler_test.go.
type fakeScans struct {
	m        *memory
	tokens   map[string]store.Token // by hash
	promoted access.Status          // what PromoteIfReady answers; "" keeps the status
	calls    int
	fail     error
	conflict bool
}

func (s *fakeScans) AddEvidence(_ context.Context, req access.Request, add []access.Evidence, replace []access.EvidenceID) error {
	if s.fail != nil {
		return s.fail
	}
	if s.conflict || s.m.reqs[req.ID].Status != req.Status {
		return store.ErrConflict
	}
	for i, e := range s.m.ev[req.ID] {
		for _, id := range replace {
			if e.ID == id {
				s.m.ev[req.ID][i].Round = access.ReplacedRound
			}
		}
	}
	s.m.ev[req.ID] = append(s.m.ev[req.ID], add...)
	return nil
}

func (s *fakeScans) PromoteIfReady(_ context.Context, id access.RequestID, _ access.Reviewers) (access.Status, error) {
	s.calls++
	if s.fail != nil {
		return "", s.fail
	}
	r := s.m.reqs[id]
	if s.promoted != "" && r.Status == access.Scanning {
		r.Status = s.promoted
		s.m.reqs[id] = r
	}
	return r.Status, nil
}

func (s *fakeScans) Token(_ context.Context, hash string, p mail.Purpose) (store.Token, error) {
	t, ok := s.tokens[hash]
	if !ok || t.Purpose != p {
		return store.Token{}, store.ErrNotFound
	}
	return t, nil
}

var linkNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

type evFixture struct {
	m     *memory
	s     *fakeScans
	h     Handler
	id    access.RequestID
	token string // continuation token
}

// newEvFixture has a request in status st with one uploaded file of status evSt.
func newEvFixture(t *testing.T, st access.Status, evSt access.EvidenceStatus) *evFixture {
	m := newMemory()
	s := &fakeScans{m: m, tokens: map[string]store.Token{}}
	h := newHandler(m, true)
	h.Scans, h.Reviewers = s, access.Reviewers{To: []access.Email{"rev@council.example"}}
	tok := secret.New()
	r := access.Request{ID: access.NewRequestID(), Status: st, ContinuationHash: tok.Hash(), Requester: access.Requester{Name: "A", Email: "a@example.com"}}
	m.reqs[r.ID] = r
	m.ev[r.ID] = []access.Evidence{{ID: access.NewEvidenceID(), RequestID: r.ID, File: access.File{FileName: "a.pdf", ContentType: "application/pdf", Size: 9}, Status: evSt}}
	return &evFixture{m: m, s: s, h: h, id: r.ID, token: tok.Reveal()}
}

func (fx *evFixture) add(t *testing.T, token, body string) (int, string) {
	t.Helper()
	resp, err := fx.h.Handle(context.Background(), post("/api/access-requests/{id}/evidence", string(fx.id), body, map[string]string{"Authorization": "Bearer " + token}))
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Body
}

const onePNG = `{"evidence":[{"fileName":"new scan.png","contentType":"image/png","size":2000}]}`

func TestAddingEvidenceGivesFormsLikeCreation(t *testing.T) {
	fx := newEvFixture(t, access.AwaitingEvidence, access.AwaitingUpload)
	code, body := fx.add(t, fx.token, onePNG)
	if code != http.StatusCreated {
		t.Fatalf("%d %s", code, body)
	}
	var a added
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatal(err)
	}
	ev := fx.m.ev[fx.id]
	if a.ID != fx.id || a.Status != access.AwaitingEvidence || len(a.Uploads) != 1 || len(ev) != 2 {
		t.Fatalf("%+v, stored %d", a, len(ev))
	}
	u := a.Uploads[0]
	if u.Fields["key"] != "evidence/"+string(fx.id)+"/"+string(u.EvidenceID) || u.Fields["Content-Type"] != "image/png" || u.URL == "" || u.ExpiresAt.IsZero() {
		t.Fatalf("form %+v", u)
	}
	if ev[1].ID != u.EvidenceID || ev[1].Status != access.AwaitingUpload || ev[1].File.FileName != "new scan.png" {
		t.Fatalf("stored %+v", ev[1])
	}
}

func TestAddingEvidenceNeedsTheRequestsTokenOrItsMoreInformationLink(t *testing.T) {
	fx := newEvFixture(t, access.MoreInfoRequested, access.Clean)
	link, other, expired, invitation := secret.New(), secret.New(), secret.New(), secret.New()
	fx.s.tokens[link.Hash()] = store.Token{Purpose: mail.MoreInfo, Subject: string(fx.id), ExpiresAt: linkNow.Add(time.Hour)}
	fx.s.tokens[other.Hash()] = store.Token{Purpose: mail.MoreInfo, Subject: "ranother", ExpiresAt: linkNow.Add(time.Hour)}
	fx.s.tokens[expired.Hash()] = store.Token{Purpose: mail.MoreInfo, Subject: string(fx.id), ExpiresAt: linkNow.Add(-time.Second)}
	fx.s.tokens[invitation.Hash()] = store.Token{Purpose: mail.Invitation, Subject: string(fx.id), ExpiresAt: linkNow.Add(time.Hour)}
	for name, tok := range map[string]string{"none": "", "made up": "x", "another request's link": other.Reveal(), "expired link": expired.Reveal(), "an invitation link": invitation.Reveal()} {
		if code, _ := fx.add(t, tok, onePNG); code != http.StatusNotFound {
			t.Errorf("%s: %d", name, code)
		}
	}
	if code, body := fx.add(t, link.Reveal(), onePNG); code != http.StatusCreated {
		t.Fatalf("more information link: %d %s", code, body)
	}
	if code, _ := fx.add(t, fx.token, onePNG); code != http.StatusCreated {
		t.Fatalf("continuation token: %d", code)
	}
	fx.id = "runknown"
	if code, _ := fx.add(t, fx.token, onePNG); code != http.StatusNotFound {
		t.Fatalf("unknown request: %d", code)
	}
	if len(fx.m.ev) != 1 {
		t.Fatal("written for an unknown request")
	}
}

func TestAddingEvidenceValidatesLikeCreation(t *testing.T) {
	fx := newEvFixture(t, access.AwaitingEvidence, access.AwaitingUpload)
	six := `{"evidence":[` + strings.TrimSuffix(strings.Repeat(`{"fileName":"a.pdf","contentType":"application/pdf","size":1},`, 6), ",") + `]}`
	four := `{"evidence":[` + strings.TrimSuffix(strings.Repeat(`{"fileName":"a.pdf","contentType":"application/pdf","size":1},`, 4), ",") + `]}`
	five := strings.Replace(four, `[`, `[{"fileName":"b.pdf","contentType":"application/pdf","size":1},`, 1)
	for _, c := range []struct{ body, field string }{
		{`{"evidence":[]}`, `"evidence"`},
		{`{}`, `"evidence"`},
		{`{"evidence":[{"fileName":"a.exe","contentType":"application/x-msdownload","size":10}]}`, `"evidence[0].contentType"`},
		{`{"evidence":[{"fileName":"a.pdf","contentType":"application/pdf","size":10485761}]}`, `"evidence[0].size"`},
		{`{"evidence":[{"fileName":"../a.pdf","contentType":"application/pdf","size":10}]}`, `"evidence[0].fileName"`},
		{six, `"evidence"`},
		{five, `"evidence"`}, // with the one already there, six
		{`{"evidence":[],"extra":1}`, `"extra"`},
	} {
		code, body := fx.add(t, fx.token, c.body)
		if code != http.StatusBadRequest || !strings.Contains(body, c.field) {
			t.Errorf("%s: %d %s", c.body, code, body)
		}
	}
	if code, _ := fx.add(t, fx.token, four); code != http.StatusCreated {
		t.Fatalf("four more: %d", code)
	}
	if len(fx.m.ev[fx.id]) != 5 {
		t.Fatalf("%d files", len(fx.m.ev[fx.id]))
	}
	resp, _ := fx.h.Handle(context.Background(), post("/api/access-requests/{id}/evidence", string(fx.id), onePNG, map[string]string{"Authorization": "Bearer " + fx.token, "Origin": "https://evil.example"}))
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin: %d", resp.StatusCode)
	}
}

func TestWhileScanningOnlyARefusedFileCanBeReplaced(t *testing.T) {
	fx := newEvFixture(t, access.Scanning, access.Clean)
	if code, _ := fx.add(t, fx.token, onePNG); code != http.StatusConflict {
		t.Fatalf("nothing to replace: %d", code)
	}
	for _, st := range []access.EvidenceStatus{access.EvRejected, access.Infected, access.ScanFailed} {
		fx := newEvFixture(t, access.Scanning, st)
		refused := fx.m.ev[fx.id][0].ID
		if code, body := fx.add(t, fx.token, onePNG); code != http.StatusCreated {
			t.Fatalf("%s: %d %s", st, code, body)
		}
		ev := fx.m.ev[fx.id]
		if ev[0].ID != refused || ev[0].Round != access.ReplacedRound || ev[1].Round != 0 {
			t.Fatalf("%s: the refused file was not replaced: %+v", st, ev)
		}
	}
	for _, st := range []access.Status{access.ReadyForReview, access.Approved, access.Rejected, access.Withdrawn, access.Expired} {
		fx := newEvFixture(t, st, access.EvRejected)
		if code, _ := fx.add(t, fx.token, onePNG); code != http.StatusConflict {
			t.Errorf("%s: %d", st, code)
		}
		if len(fx.m.ev[fx.id]) != 1 {
			t.Errorf("%s: written", st)
		}
	}
}

func TestAddingEvidenceWhenTheStoreSaysNo(t *testing.T) {
	fx := newEvFixture(t, access.AwaitingEvidence, access.AwaitingUpload)
	fx.s.conflict = true
	if code, _ := fx.add(t, fx.token, onePNG); code != http.StatusConflict {
		t.Fatalf("conflict: %d", code)
	}
	fx.s.conflict, fx.s.fail = false, errors.New("ThrottlingException")
	if code, body := fx.add(t, fx.token, onePNG); code != http.StatusServiceUnavailable || strings.Contains(body, "Throttl") {
		t.Fatalf("failure: %d %s", code, body)
	}
}

func (fx *evFixture) submit(t *testing.T) (int, string) {
	t.Helper()
	resp, _ := fx.h.Handle(context.Background(), post("/api/access-requests/{id}/submit", string(fx.id), "", map[string]string{"Authorization": "Bearer " + fx.token, "Content-Type": ""}))
	return resp.StatusCode, resp.Body
}

func TestSubmitMovesARequestWithCleanFilesToReview(t *testing.T) {
	fx := newEvFixture(t, access.AwaitingEvidence, access.Clean)
	fx.s.promoted = access.ReadyForReview
	if code, body := fx.submit(t); code != http.StatusAccepted || !strings.Contains(body, `"ready_for_review"`) {
		t.Fatalf("%d %s", code, body)
	}

	fx = newEvFixture(t, access.AwaitingEvidence, access.Clean)
	if code, body := fx.submit(t); code != http.StatusAccepted || !strings.Contains(body, `"scanning"`) || fx.s.calls != 1 {
		t.Fatalf("not all clean: %d %s (%d checks)", code, body, fx.s.calls)
	}
	fx.s.promoted = access.ReadyForReview // an interrupted move is finished by sending again
	if code, body := fx.submit(t); code != http.StatusAccepted || !strings.Contains(body, `"ready_for_review"`) {
		t.Fatalf("again: %d %s", code, body)
	}

	fx = newEvFixture(t, access.AwaitingEvidence, access.Clean)
	fx.s.fail = errors.New("ThrottlingException")
	if code, body := fx.submit(t); code != http.StatusServiceUnavailable || !strings.Contains(body, "send it again") {
		t.Fatalf("promotion failed: %d %s", code, body)
	}
}

// A submit whose move was made but whose answer was lost must not leave a request with every file
// clean waiting in scanning: the person is told where it is, and reviewers get it now.
func TestASubmitWhoseAnswerIsLostStillReachesReview(t *testing.T) {
	fx := newEvFixture(t, access.AwaitingEvidence, access.Clean)
	fx.s.promoted = access.ReadyForReview
	fx.m.moveAnswer, fx.m.moveMade = errors.New("connection reset after the write"), true
	if code, body := fx.submit(t); code != http.StatusAccepted || !strings.Contains(body, `"ready_for_review"`) {
		t.Fatalf("answer lost: %d %s", code, body)
	}
	if st := fx.m.reqs[fx.id].Status; st != access.ReadyForReview {
		t.Fatalf("request left %s", st)
	}

	// Not made (throttled): the request stays as it was, and the person is asked to try again.
	fx = newEvFixture(t, access.AwaitingEvidence, access.Clean)
	fx.s.promoted = access.ReadyForReview
	fx.m.moveAnswer = errors.New("ThrottlingException")
	if code, body := fx.submit(t); code != http.StatusServiceUnavailable || strings.Contains(body, "Throttl") {
		t.Fatalf("throttled: %d %s", code, body)
	}
	if st := fx.m.reqs[fx.id].Status; st != access.AwaitingEvidence {
		t.Fatalf("a move that was not made changed the request to %s", st)
	}
}

func TestSubmittingAgainAfterMoreInformationNeedsANewFile(t *testing.T) {
	fx := newEvFixture(t, access.MoreInfoRequested, access.Clean)
	r := fx.m.reqs[fx.id]
	r.Round = 1
	fx.m.reqs[fx.id] = r
	if code, body := fx.submit(t); code != http.StatusConflict || !strings.Contains(body, "at least one new document") {
		t.Fatalf("%d %s", code, body)
	}
	if code, _ := fx.add(t, fx.token, onePNG); code != http.StatusCreated {
		t.Fatal(code)
	}
	if fx.m.ev[fx.id][1].Round != 1 {
		t.Fatal("the new file is not in the current round")
	}
	if code, body := fx.submit(t); code != http.StatusAccepted { // the presign-only bucket says it was uploaded
		t.Fatalf("%d %s", code, body)
	}
}

// Someone who has only the "more information" email can finish: add files, submit, see the status.
func TestTheMoreInformationLinkAlsoSubmitsAndShowsStatus(t *testing.T) {
	fx := newEvFixture(t, access.MoreInfoRequested, access.Clean)
	r := fx.m.reqs[fx.id]
	r.Round = 1
	fx.m.reqs[fx.id] = r
	link := secret.New()
	fx.s.tokens[link.Hash()] = store.Token{Purpose: mail.MoreInfo, Subject: string(fx.id), ExpiresAt: linkNow.Add(time.Hour)}
	fx.token = link.Reveal()
	if code, body := fx.add(t, fx.token, onePNG); code != http.StatusCreated {
		t.Fatalf("add: %d %s", code, body)
	}
	if code, body := fx.submit(t); code != http.StatusAccepted {
		t.Fatalf("submit with the link: %d %s", code, body)
	}
	resp, _ := fx.h.Handle(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "GET", Resource: "/api/access-requests/{id}",
		PathParameters: map[string]string{"id": string(fx.id)}, Headers: map[string]string{"Authorization": "Bearer " + fx.token}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status with the link: %d %s", resp.StatusCode, resp.Body)
	}
}
