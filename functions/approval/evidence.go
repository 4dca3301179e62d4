package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// Files is what the handler needs of the uploads bucket: links to renditions only. It has no way
// to sign a link to an upload, and its role no right to read one.
type Files interface {
	VersionURL(ctx context.Context, key, version, fileName string, ttl time.Duration) (string, error)
}

// evidenceTTL is how long a presigned evidence link works (the contract allows at most 5 minutes).
const evidenceTTL = 5 * time.Minute

// evidence is a file's "View": a short-lived link to its rendition (the copy rebuilt from what its
// pages look like, access.Evidence.Showing), or a page that says why there is none yet or at all.
func (h Handler) evidence(open opener) pageFunc {
	return func(ctx context.Context, r web.Request, log *slog.Logger) web.Response {
		rv, fail := open(ctx, r, log)
		if fail != nil {
			return *fail
		}
		id := access.EvidenceID(r.PathParameters["evidenceId"])
		for _, e := range rv.evidence {
			if e.ID != id || e.RequestID != rv.req.ID {
				continue
			}
			switch e.Showing() {
			case access.ShowPreparing:
				return render(http.StatusOK, preparingPage(rv.base, id))
			case access.ShowRefused:
				return render(http.StatusOK, refusedPage(rv.base, e.Rendition.Refused))
			case access.ShowRendition:
				u, err := h.Files.VersionURL(ctx, e.Rendition.Key, e.Rendition.Object, e.File.FileName, evidenceTTL)
				if err != nil {
					log.Error("presigning a rendition link", "err", err)
					return render(http.StatusServiceUnavailable, unavailablePage())
				}
				// The link is handed out only once its opening is on the record.
				if err := h.auditRequest(ctx, r, rv, store.AuditStaffOpenEvidence, "evidence="+string(id)); err != nil {
					log.Error("writing an audit event", "err", err)
					return render(http.StatusServiceUnavailable, unavailablePage())
				}
				return web.Response{StatusCode: http.StatusFound, Headers: withSecurity(map[string]string{"Location": u})}
			}
			break // not clean: nothing of it is handed out
		}
		return render(http.StatusNotFound, notFoundPage())
	}
}

// reviewFromEvidence is the review page's address from one of its evidence pages
// (<page>/evidence/<id>), relative, whatever stage prefix the site is served under.
func reviewFromEvidence(base string) string { return "../../" + url.PathEscape(base) }

func preparingPage(base string, id access.EvidenceID) view {
	const heading = "The copy of this file is being prepared"
	return view{Title: heading, Main: preparing(heading, "./"+url.PathEscape(string(id)), reviewFromEvidence(base))}
}

func refusedPage(base, reason string) view {
	const heading = "This file cannot be shown"
	return view{Title: heading, Main: message(heading, reviewFromEvidence(base), []string{
		"Staff only ever see a copy rebuilt from what a file's pages look like, never the file as it was uploaded. No copy could be made of this file: " + reason,
		"Ask the requester for the document again in another form, for example as a photo or a scan, using \"Ask for more information\" on the review page.",
	})}
}
