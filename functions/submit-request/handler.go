package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/brand"
	"github.com/council/cfp/shared/bucket"
	"github.com/council/cfp/shared/page"
	"github.com/council/cfp/shared/secret"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// Requests is what the handler needs of the store.
type Requests interface {
	CreateRequest(ctx context.Context, r access.Request, ev []access.Evidence, events []access.Event, limits ...store.Limit) error
	Request(ctx context.Context, id access.RequestID) (access.Request, []access.Evidence, error)
	SubmitRequest(ctx context.Context, id access.RequestID) error
	Claim(ctx context.Context, keyHash, fingerprint string, id access.RequestID) (access.RequestID, error)
	ReissueContinuation(ctx context.Context, id access.RequestID, hash string) error
	WithdrawRequest(ctx context.Context, id access.RequestID) (access.Request, error)
}

// Uploads is what the handler needs of the uploads bucket.
type Uploads interface {
	UploadForm(ctx context.Context, key, contentType string, maxSize int64, ttl time.Duration) (bucket.Form, error)
	PageForm(ctx context.Context, key, redirect string, maxSize int64, ttl time.Duration) (bucket.Form, error)
	Exists(ctx context.Context, key string) (bool, error)
}

// Sessions resolves a signed-in requester's session cookie (store.Session: one conditional write).
type Sessions interface {
	Session(ctx context.Context, hash string) (store.Session, error)
}

// perEmail limits new requests per requester address.
var perEmail = store.Limit{Kind: "request-email", Window: time.Hour, Max: 5}

const formTTL = time.Hour

// Handler serves the access-request routes.
type Handler struct {
	Requests Requests
	Uploads  Uploads
	Origin   string   // the portal's origin: the only one allowed to change state
	PerIP    int      // new requests per source address per hour
	Sessions Sessions // signed-in requesters; nil: every requester gives their details
	Insecure bool     // INSECURE_COOKIES: the session cookie without its __Host- prefix (local only)
	// Scans adds files and moves submitted requests on to review (evidence.go); Reviewers get the
	// review emails.
	Scans     Scans
	Reviewers access.Reviewers
	// Drafts and Brand serve the request journey's pages (pages.go, files.go).
	Drafts Drafts
	Brand  brand.Brand
	// Mine lists a signed-in person's own requests (mine.go).
	Mine RequestLists
	Now  func() time.Time
	Log  *slog.Logger
}

// routes is the function's route table: its keys are the wiring's routes (routes_test.go).
func (h Handler) routes() web.Routes {
	return web.Routes{
		"POST /api/access-requests":               h.create,
		"POST /api/access-requests/{id}/submit":   h.submit,
		"POST /api/access-requests/{id}/evidence": h.addEvidence,
		"GET /api/access-requests/{id}":           h.status,
		"POST /api/access-requests/{id}/withdraw": h.withdrawAPI,

		"GET " + pathRelationship:  h.relationshipGet,
		"POST " + pathRelationship: h.relationshipPost,
		"GET " + pathNotEligible:   h.notEligible,
		"GET " + pathDetails:       h.detailsGet,
		"POST " + pathDetails:      h.detailsPost,
		"GET " + pathClient:        h.clientGet,
		"POST " + pathClient:       h.clientPost,
		"GET " + pathCode:          h.codeGet,
		"POST " + pathCode:         h.codePost,
		"GET " + pathEvidence:      h.evidenceGet,
		"GET " + pathCheck:         h.checkGet,
		"POST " + pathCheck:        h.checkPost,
		"GET " + pathDone:          h.confirmation,
		"GET " + pathLostLink:      h.lostLinkGet,
		"POST " + pathLostLink:     h.lostLinkPost,

		"GET " + pathRequests:                         h.requestsGet,
		"GET /access-requests/{id}":                   h.statusPage,
		"GET /access-requests/{id}/more-information":  h.moreGet,
		"POST /access-requests/{id}/more-information": h.morePost,
		"GET /access-requests/{id}/withdraw":          h.withdrawGet,
		"POST /access-requests/{id}/withdraw":         h.withdrawPost,
	}
}

func (h Handler) Handle(ctx context.Context, r web.Request) (web.Response, error) {
	resp := h.routes().Serve(ctx, r, h.Log)
	if strings.HasPrefix(r.Resource, "/api/") {
		return web.AllowPortal(resp, h.Origin), nil
	}
	if strings.HasPrefix(resp.Headers["Content-Type"], "application/problem+json") {
		// A page's problem (an AWS failure, mostly) is a page for a person, not JSON.
		var p web.Problem
		_ = json.Unmarshal([]byte(resp.Body), &p)
		out := page.Respond(ctx, h.Log, resp.StatusCode, page.Policy{Personal: true}, messagePage(h.Brand,
			"Sorry, there is a problem with the service", []string{or(p.Detail, "Please try again in a moment.")}, "", ""))
		if ra := resp.Headers["Retry-After"]; ra != "" {
			out.Headers["Retry-After"] = ra
		}
		return out, nil
	}
	return resp, nil
}

type createdUpload struct {
	EvidenceID access.EvidenceID `json:"evidenceId"`
	bucket.Form
}

// newEvidence declares files for the request's current round, each awaiting its upload.
func newEvidence(req access.Request, files []access.File, now time.Time) []access.Evidence {
	ev := make([]access.Evidence, len(files))
	for i, f := range files {
		ev[i] = access.Evidence{ID: access.NewEvidenceID(), RequestID: req.ID, File: f, Status: access.AwaitingUpload, Round: req.Round, UpdatedAt: now}
	}
	return ev
}

// uploadForms presigns one upload form per evidence file, for its own key, type and size limit.
func (h Handler) uploadForms(ctx context.Context, ev []access.Evidence, log *slog.Logger) ([]createdUpload, *web.Problem) {
	uploads := make([]createdUpload, len(ev))
	for i, e := range ev {
		form, err := h.Uploads.UploadForm(ctx, e.Key(), e.File.ContentType, access.MaxFileSize, formTTL)
		if err != nil {
			log.Error("presigning an upload form", "err", err)
			return nil, web.Unavailable()
		}
		uploads[i] = createdUpload{EvidenceID: e.ID, Form: form}
	}
	return uploads, nil
}

type created struct {
	ID                access.RequestID `json:"id"`
	Status            access.Status    `json:"status"`
	ContinuationToken string           `json:"continuationToken"`
	Reference         access.Reference `json:"reference"`
	Uploads           []createdUpload  `json:"uploads"`
}

func (h Handler) create(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	if p := web.CheckBrowser(r, h.Origin); p != nil {
		return web.Response{}, p
	}
	var in access.NewRequest
	if p := web.DecodeJSON(r, &in); p != nil {
		return web.Response{}, p
	}
	now := h.Now().UTC()
	signedIn, p := h.signedIn(ctx, r, in.Requester == nil, log)
	if p != nil {
		return web.Response{}, p
	}
	if errs := in.Validate(now, signedIn != nil); len(errs) > 0 {
		fe := make([]web.FieldError, len(errs))
		for i, e := range errs {
			fe[i] = web.FieldError(e)
		}
		return web.Response{}, web.Invalid(fe...)
	}
	if signedIn != nil {
		in.Requester = signedIn // the account's name and verified address, not the body's
	}
	token := secret.New()
	in.Requester.Email = access.NormaliseEmail(string(in.Requester.Email))
	in.Client.Postcode = access.NormalisePostcode(in.Client.Postcode)
	id, answered, p := h.claim(ctx, r, in.Requester.Email, access.NewRequestID(), log)
	if p != nil {
		return web.Response{}, p
	}
	if answered != nil { // sent again with the key of a request already made
		return *answered, nil
	}
	req := access.Request{
		ID: id, Reference: access.NewReference(), Status: access.AwaitingEvidence, Requester: *in.Requester,
		Relationship: in.Relationship, Client: in.Client, LPAAccessCode: in.LPAAccessCode, DonorSurname: in.DonorSurname,
		CreatedAt: now, UpdatedAt: now, ContinuationHash: token.Hash(),
	}
	evidence := newEvidence(req, in.Evidence, now)
	uploads, p := h.uploadForms(ctx, evidence, log)
	if p != nil {
		return web.Response{}, p
	}
	email := perEmail
	email.Key = string(req.Requester.Email)
	ip := store.Limit{Kind: "request-ip", Key: web.SourceIP(r), Window: time.Hour, Max: h.PerIP}
	switch err := h.Requests.CreateRequest(ctx, req, evidence, req.Received(), email, ip); {
	case errors.Is(err, store.ErrLimited):
		return web.Response{}, web.TooMany(3600)
	case err != nil:
		log.Error("creating a request", "err", err)
		return web.Response{}, web.Unavailable()
	}
	log.Info("request created", "id", req.ID, "relationship", req.Relationship, "files", len(evidence))
	return web.JSON(http.StatusCreated, created{ID: req.ID, Status: req.Status, ContinuationToken: token.Reveal(), Reference: req.Reference, Uploads: uploads}), nil
}

type statusBody struct {
	ID     access.RequestID `json:"id"`
	Status access.Status    `json:"status"`
}

func (h Handler) submit(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	if p := web.CheckBrowser(r, h.Origin); p != nil {
		return web.Response{}, p
	}
	req, ev, p := h.load(ctx, r, log)
	if p != nil {
		return web.Response{}, p
	}
	if req.Status != access.AwaitingEvidence && req.Status != access.MoreInfoRequested {
		// Already submitted (or decided): submitting again changes nothing, except that a request
		// still scanning is looked at again, in case its move to review was cut short.
		if req.Status == access.Scanning {
			if req.Status, p = h.promote(ctx, req.ID, log); p != nil {
				return web.Response{}, p
			}
		}
		return web.JSON(http.StatusAccepted, statusBody{req.ID, req.Status}), nil
	}
	if req.Round > 0 && len(current(req, ev)) == 0 {
		return web.Response{}, web.Conflict("Add at least one new document before sending your request again.")
	}
	var missing, refused []string
	for _, e := range current(req, ev) {
		switch e.Status {
		case access.EvRejected, access.Infected, access.ScanFailed:
			refused = append(refused, e.File.FileName)
		case access.AwaitingUpload:
			ok, err := h.Uploads.Exists(ctx, e.Key())
			if err != nil {
				log.Error("checking an upload", "err", err)
				return web.Response{}, web.Unavailable()
			}
			if !ok {
				missing = append(missing, e.File.FileName)
			}
		}
	}
	if len(refused) > 0 {
		return web.Response{}, web.Conflict("These files were not accepted and must be uploaded again: " + strings.Join(refused, ", ") + ".")
	}
	if len(missing) > 0 {
		return web.Response{}, web.Conflict("These files have not been uploaded yet: " + strings.Join(missing, ", ") + ".")
	}
	switch err := h.Requests.SubmitRequest(ctx, req.ID); {
	case errors.Is(err, store.ErrConflict):
		// A second submit raced this one: answer with where the request is now.
		if req, _, p = h.load(ctx, r, log); p != nil {
			return web.Response{}, p
		}
		return web.JSON(http.StatusAccepted, statusBody{req.ID, req.Status}), nil
	case err != nil:
		log.Error("submitting a request", "err", err)
		// The move may have been made and only its answer lost. Look again, as a second submit
		// would, so that a request whose files are all clean does not wait in scanning for a
		// second submit that may never come.
		if st, p := h.promote(ctx, req.ID, log); p == nil && st != req.Status {
			log.Info("request submitted (its first answer was lost)", "id", req.ID)
			return web.JSON(http.StatusAccepted, statusBody{req.ID, st}), nil
		}
		return web.Response{}, web.Unavailable()
	}
	log.Info("request submitted", "id", req.ID)
	st, p := h.promote(ctx, req.ID, log)
	if p != nil {
		return web.Response{}, p
	}
	return web.JSON(http.StatusAccepted, statusBody{req.ID, st}), nil
}

type evidenceStatus struct {
	EvidenceID access.EvidenceID     `json:"evidenceId"`
	FileName   string                `json:"fileName"`
	Status     access.EvidenceStatus `json:"status"`
	Reason     string                `json:"reason,omitempty"`
}

func (h Handler) status(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	req, ev, p := h.load(ctx, r, log)
	if p != nil {
		return web.Response{}, p
	}
	sort.Slice(ev, func(i, j int) bool {
		return ev[i].Round < ev[j].Round || ev[i].Round == ev[j].Round && ev[i].ID < ev[j].ID
	})
	body := struct {
		statusBody
		Reference access.Reference `json:"reference,omitempty"`
		Evidence  []evidenceStatus `json:"evidence"`
	}{statusBody: statusBody{req.ID, req.Status}, Reference: req.Reference, Evidence: []evidenceStatus{}}
	for _, e := range ev {
		body.Evidence = append(body.Evidence, evidenceStatus{e.ID, e.File.FileName, e.Status, e.Reason})
	}
	return web.JSON(http.StatusOK, body), nil
}

// current is the evidence of the request's current round: what a submit waits for.
func current(req access.Request, ev []access.Evidence) []access.Evidence {
	var out []access.Evidence
	for _, e := range ev {
		if e.Round == req.Round {
			out = append(out, e)
		}
	}
	return out
}

// signedIn returns the requester of a signed-in request, from the session its cookie names; nil for
// a request without a session cookie. A cookie whose session has ended is ignored when the body
// gives the requester's details, and is 401 when it relies on the session (needSession).
func (h Handler) signedIn(ctx context.Context, r web.Request, needSession bool, log *slog.Logger) (*access.Requester, *web.Problem) {
	tok := web.SessionToken(r, h.Insecure)
	if h.Sessions == nil || tok.Empty() {
		return nil, nil
	}
	s, err := h.Sessions.Session(ctx, tok.Hash())
	switch {
	case errors.Is(err, store.ErrNotFound) && needSession:
		return nil, web.Unauthorized("Your session has ended. Sign in again to make this request.")
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	case err != nil:
		log.Error("reading a session", "err", err)
		return nil, web.Unavailable()
	}
	return &access.Requester{Name: s.Name, Email: s.Email}, nil
}
