package main

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
	"github.com/council/cfp/shared/web/webtest"
)

type docList struct {
	Documents []struct {
		ID, Type, Title, DocumentDate, PublishedAt string
		Size                                       int64
	}
	NextCursor *string
}

func list(t *testing.T, f *fixture, cookie, ref string, query map[string]string) (int, docList) {
	t.Helper()
	r := webtest.Request("GET", "/api/clients/{clientReference}/documents", map[string]string{"clientReference": ref}, nil, cookie)
	if len(query) > 0 {
		r.QueryStringParameters = query
	}
	resp := f.do(t, r)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, docList{}
	}
	return resp.StatusCode, decodeBody[docList](t, resp)
}

// pageOf is the query of a page of a list: its size, and the cursor after the first page.
func pageOf(limit int, cursor string) map[string]string {
	q := map[string]string{"limit": strconv.Itoa(limit)}
	if cursor != "" {
		q["cursor"] = cursor
	}
	return q
}

func TestDocumentsNewestFirstFilteredAndPaged(t *testing.T) {
	f := newFixture(t)
	e := access.Email("kim@example.com")
	cookie, _, _ := f.deputy(t, e, "200001", 45)
	f.documents(t, "200002", 5)

	var ids []string
	cursor, pages := "", 0
	for {
		status, page := list(t, f, cookie, "200001", pageOf(20, cursor))
		if status != http.StatusOK {
			t.Fatalf("page %d: %d", pages+1, status)
		}
		pages++
		for _, d := range page.Documents {
			ids = append(ids, d.ID)
			if d.Title == "" || d.Size == 0 || d.DocumentDate == "" || !strings.HasSuffix(d.PublishedAt, "Z") {
				t.Fatalf("document fields: %+v", d)
			}
		}
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	if pages != 3 || len(ids) != 45 || ids[0] != "d200001x00000" || ids[44] != "d200001x00044" {
		t.Fatalf("%d pages, %d documents, first %s", pages, len(ids), ids[0])
	}

	_, invoices := list(t, f, cookie, "200001", map[string]string{"type": "care_invoice", "limit": "100"})
	if len(invoices.Documents) != 12 || invoices.NextCursor != nil {
		t.Fatalf("%d invoices", len(invoices.Documents))
	}
	for _, d := range invoices.Documents {
		if d.Type != "care_invoice" {
			t.Fatalf("filtered list holds a %s", d.Type)
		}
	}
	_, first := list(t, f, cookie, "200001", nil)
	if len(first.Documents) != defaultPage || first.NextCursor == nil {
		t.Fatalf("default page: %d", len(first.Documents))
	}

	for name, q := range map[string]map[string]string{
		"unknown type":            {"type": "bank_statement"},
		"limit 0":                 {"limit": "0"},
		"limit 101":               {"limit": "101"},
		"limit words":             {"limit": "ten"},
		"cursor of another type":  {"type": "care_invoice", "cursor": *first.NextCursor},
		"cursor edited":           {"cursor": (*first.NextCursor)[:10]},
		"cursor of another thing": {"cursor": "eyJjIjoiMjAwMDAxIiwiayI6IlJFUSNyMSJ9"},
	} {
		if status, _ := list(t, f, cookie, "200001", q); status != http.StatusBadRequest {
			t.Errorf("%s: %d", name, status)
		}
	}
}

// A document list costs three DynamoDB reads and the audit write (doc.go): the handler asks the
// store once each for the session, the grant and the page, and writes one audit event. That each of
// those is one DynamoDB request is shared/store's TestADocumentListCostsThreeRequestsAndTheAuditWrite.
func TestADocumentListAsksTheStoreForThreeReadsAndTheAuditWrite(t *testing.T) {
	f := newFixture(t)
	e := access.Email("count@example.com")
	cookie, _, _ := f.deputy(t, e, "800001", 45)
	want := map[string]int{"Session": 1, "GrantFor": 1, "Documents": 1, "Audit": 1}
	cursor := ""
	for page := 1; page <= 3; page++ {
		f.s.readsSince()
		status, body := list(t, f, cookie, "800001", pageOf(20, cursor))
		if got := f.s.readsSince(); status != http.StatusOK || !maps.Equal(got, want) {
			t.Fatalf("page %d: %d, store calls %v, want %v", page, status, got, want)
		}
		if body.NextCursor != nil {
			cursor = *body.NextCursor
		}
	}
}

func TestACursorFromOneClientCannotPageAnother(t *testing.T) {
	f := newFixture(t)
	e := access.Email("lee@example.com")
	f.account(t, e, "Lee")
	f.grant(t, e, access.AttorneyLPA, "300001", "Mum", "")
	f.grant(t, e, access.AttorneyLPA, "300002", "Dad", "")
	f.documents(t, "300001", 6)
	f.documents(t, "300002", 6)
	cookie := f.signIn(t, e)
	_, mum := list(t, f, cookie, "300001", map[string]string{"limit": "2"})
	if status, _ := list(t, f, cookie, "300002", map[string]string{"limit": "2", "cursor": *mum.NextCursor}); status != http.StatusBadRequest {
		t.Fatalf("Mum's cursor on Dad's list: %d", status)
	}
	_, dad := list(t, f, cookie, "300002", nil)
	for _, d := range dad.Documents {
		if !strings.HasPrefix(d.ID, "d300002") {
			t.Fatalf("Dad's list shows %s", d.ID)
		}
	}
}

func TestListsAndDownloadsAreAudited(t *testing.T) {
	f := newFixture(t)
	e := access.Email("max@example.com")
	cookie, grant, docs := f.deputy(t, e, "400001", 3)

	list(t, f, cookie, "400001", map[string]string{"type": "care_invoice"})
	resp := f.do(t, webtest.Request("GET", "/api/documents/{id}/download", map[string]string{"id": string(docs[1].ID)}, nil, cookie))
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("download: %d %s", resp.StatusCode, resp.Body)
	}
	loc, err := url.Parse(resp.Headers["Location"])
	if err != nil || loc.Path != "/"+docs[1].Key || loc.Query().Get("ttl") != "1m0s" || loc.Query().Get("name") != "2026-06-29 Document 1.pdf" {
		t.Fatalf("Location %q", resp.Headers["Location"])
	}

	events, err := f.s.AuditOfClient(bg, "400001", 10)
	if err != nil || len(events) != 2 {
		t.Fatalf("audit %+v %v", events, err)
	}
	dl, ls := events[0], events[1] // the test's clock stands still: both have the same time
	if dl.Action != store.AuditDownloadDocument {
		dl, ls = ls, dl
	}
	if dl.Action != store.AuditDownloadDocument || dl.DocumentID != docs[1].ID || dl.Email != e || dl.GrantID != grant ||
		dl.SourceIP != "192.0.2.10" || dl.UserAgent != "TestBrowser/1.0" || dl.At.IsZero() {
		t.Fatalf("download event %+v", dl)
	}
	if ls.Action != store.AuditListDocuments || ls.GrantID != grant || !strings.Contains(ls.Detail, "care_invoice") {
		t.Fatalf("list event %+v", ls)
	}
	mine, _ := f.s.AuditOfPerson(bg, e, 10)
	if len(mine) != 2 {
		t.Fatalf("person's audit: %d events", len(mine))
	}

	// Refused reads write no audit event: there was no access.
	other := access.Email("nosy@example.com")
	f.account(t, other, "Nosy")
	oc := f.signIn(t, other)
	if s, _ := list(t, f, oc, "400001", nil); s != http.StatusNotFound {
		t.Fatalf("no grant: %d", s)
	}
	if events, _ := f.s.AuditOfClient(bg, "400001", 10); len(events) != 2 {
		t.Fatalf("a refused read was audited as access: %d", len(events))
	}
}

// When the audit event cannot be written, nothing is shown: no document in a list, no link to a file.
func TestNothingIsShownWhenTheAuditEventCannotBeWritten(t *testing.T) {
	f := newFixture(t)
	e := access.Email("una@example.com")
	cookie, _, docs := f.deputy(t, e, "410001", 2)
	f.s.failAudit = errors.New("ProvisionedThroughputExceededException")

	resp := f.do(t, webtest.Request("GET", "/api/clients/{clientReference}/documents", map[string]string{"clientReference": "410001"}, nil, cookie))
	if resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(resp.Body, string(docs[0].ID)) || strings.Contains(resp.Body, "Document 0") {
		t.Fatalf("list: %d %s", resp.StatusCode, resp.Body)
	}
	resp = f.do(t, webtest.Request("GET", "/api/documents/{id}/download", map[string]string{"id": string(docs[0].ID)}, nil, cookie))
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Headers["Location"] != "" || strings.Contains(resp.Body, docs[0].Key) {
		t.Fatalf("download: %d %v %s", resp.StatusCode, resp.Headers, resp.Body)
	}
}

func TestMeListsEachClientOnceWithSuppression(t *testing.T) {
	f := newFixture(t)
	e := access.Email("nat@example.com")
	f.account(t, e, "Nat")
	f.grant(t, e, access.AttorneyLPA, "500002", "Dad", "")
	f.grant(t, e, access.AttorneyLPA, "500001", "Mum", "2099-12-31")
	f.grant(t, e, access.Deputy, "500001", "Mum", "") // joint authority through a second request
	f.grant(t, e, access.Deputy, "500003", "Old", "2020-01-01")
	cookie := f.signIn(t, e)
	me := decodeBody[struct {
		Email, Name string
		Clients     []struct {
			ClientReference, Name, Relationship string
			AccessEndsOn                        *string
		}
		EmailDeliveryFailing bool
	}](t, f.do(t, webtest.Request("GET", "/api/me", nil, nil, cookie)))
	if me.Email != string(e) || me.Name != "Nat" || me.EmailDeliveryFailing || len(me.Clients) != 2 {
		t.Fatalf("me %+v", me)
	}
	if c := me.Clients[0]; c.Name != "Dad" || c.ClientReference != "500002" || c.AccessEndsOn != nil {
		t.Fatalf("first client %+v", c)
	}
	if c := me.Clients[1]; c.ClientReference != "500001" || c.AccessEndsOn != nil || c.Relationship != "deputy" {
		t.Fatalf("Mum through two grants: %+v (the one without an end date should count)", c)
	}
	if err := f.s.Suppress(bg, e, store.Suppression{Reason: "bounce", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if body := f.do(t, webtest.Request("GET", "/api/me", nil, nil, cookie)).Body; !strings.Contains(body, `"emailDeliveryFailing":true`) {
		t.Fatalf("suppression not shown: %s", body)
	}
}

func TestGranteesOnlyForTheClientThemself(t *testing.T) {
	f := newFixture(t)
	client, attorney1, attorney2 := access.Email("olive@example.com"), access.Email("pat@example.com"), access.Email("quin@example.com")
	for _, e := range []access.Email{client, attorney1, attorney2} {
		f.account(t, e, "Person")
	}
	f.grant(t, client, access.Self, "600001", "Olive", "")
	f.grant(t, attorney1, access.AttorneyLPA, "600001", "Olive", "")
	f.grant(t, attorney2, access.AttorneyLPA, "600001", "Olive", "2099-01-01")
	ended := f.grant(t, "ron@example.com", access.Deputy, "600001", "Olive", "")
	if err := f.s.EndAccess(bg, ended, "reviewer@council.example", "deputyship ended"); err != nil {
		t.Fatal(err)
	}
	resp := f.do(t, webtest.Request("GET", "/api/clients/{clientReference}/grantees", map[string]string{"clientReference": "600001"}, nil, f.signIn(t, client)))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("grantees: %d %s", resp.StatusCode, resp.Body)
	}
	body := decodeBody[struct {
		Grantees []struct {
			Name, Relationship, Since string
			AccessEndsOn              *string
		}
	}](t, resp)
	if len(body.Grantees) != 3 {
		t.Fatalf("grantees %+v (the ended grant must not show)", body.Grantees)
	}
	if strings.Contains(resp.Body, "@") {
		t.Fatalf("grantees show addresses: %s", resp.Body)
	}
	// An attorney, however valid, cannot list the client's grantees.
	if resp := f.do(t, webtest.Request("GET", "/api/clients/{clientReference}/grantees", map[string]string{"clientReference": "600001"}, nil, f.signIn(t, attorney1))); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("attorney listing grantees: %d", resp.StatusCode)
	}
}

// The authorisation matrix over every portal route, in the handler (the end-to-end test repeats it
// through the local stack).
func TestPortalAuthorisationMatrix(t *testing.T) {
	f := newFixture(t)
	const ref, otherRef = "700001", "700002"
	docs := f.documents(t, ref, 2)
	f.documents(t, otherRef, 1)
	yesterday := f.h.Now().AddDate(0, 0, -1).Format("2006-01-02")

	person := func(e access.Email, setup func(access.Email)) string {
		f.account(t, e, "Person")
		if setup != nil {
			setup(e)
		}
		return f.signIn(t, e)
	}
	valid := person("valid@example.com", func(e access.Email) { f.grant(t, e, access.Self, ref, "Client", "") })
	noGrant := person("nogrant@example.com", nil)
	otherClient := person("other@example.com", func(e access.Email) { f.grant(t, e, access.Self, otherRef, "Other", "") })
	endedGrant := person("ended@example.com", func(e access.Email) {
		id := f.grant(t, e, access.Self, ref, "Client", "")
		if err := f.s.EndAccess(bg, id, "reviewer@council.example", "capacity lost"); err != nil {
			t.Fatal(err)
		}
	})
	pastEnd := person("pastend@example.com", func(e access.Email) { f.grant(t, e, access.Self, ref, "Client", yesterday) })
	revoked := person("revoked@example.com", func(e access.Email) { f.grant(t, e, access.Self, ref, "Client", "") })
	f.do(t, webtest.Request("DELETE", "/api/session", nil, nil, revoked))
	tampered := valid[:len(valid)-2] + "xx"
	expired := person("expired@example.com", func(e access.Email) { f.grant(t, e, access.Self, ref, "Client", "") })
	// Everyone else uses their session again now; the expired one stays idle.
	f.later(20 * time.Minute)
	for _, c := range []string{valid, noGrant, otherClient, endedGrant, pastEnd} {
		f.do(t, webtest.Request("GET", "/api/me", nil, nil, c))
	}
	f.later(15 * time.Minute)

	routes := map[string]web.Request{
		"me":        webtest.Request("GET", "/api/me", nil, nil, ""),
		"documents": webtest.Request("GET", "/api/clients/{clientReference}/documents", map[string]string{"clientReference": ref}, nil, ""),
		"grantees":  webtest.Request("GET", "/api/clients/{clientReference}/grantees", map[string]string{"clientReference": ref}, nil, ""),
		"download":  webtest.Request("GET", "/api/documents/{id}/download", map[string]string{"id": string(docs[0].ID)}, nil, ""),
	}
	matrix := []struct {
		who    string
		cookie string
		want   map[string]int
	}{
		{"anonymous", "", map[string]int{"me": 401, "documents": 401, "grantees": 401, "download": 401}},
		{"expired session", expired, map[string]int{"me": 401, "documents": 401, "grantees": 401, "download": 401}},
		{"revoked session", revoked, map[string]int{"me": 401, "documents": 401, "grantees": 401, "download": 401}},
		{"tampered cookie", tampered, map[string]int{"me": 401, "documents": 401, "grantees": 401, "download": 401}},
		{"no grant", noGrant, map[string]int{"me": 200, "documents": 404, "grantees": 404, "download": 404}},
		{"grant for another client", otherClient, map[string]int{"me": 200, "documents": 404, "grantees": 404, "download": 404}},
		{"ended grant", endedGrant, map[string]int{"me": 200, "documents": 404, "grantees": 404, "download": 404}},
		{"grant past its end date", pastEnd, map[string]int{"me": 200, "documents": 404, "grantees": 404, "download": 404}},
		{"valid grant", valid, map[string]int{"me": 200, "documents": 200, "grantees": 200, "download": 302}},
	}
	var notFound string
	for _, m := range matrix {
		for route, r := range routes {
			r.Headers = map[string]string{"User-Agent": "x"}
			if m.cookie != "" {
				r.Headers["Cookie"] = m.cookie
			}
			resp := f.do(t, r)
			if resp.StatusCode != m.want[route] {
				t.Errorf("%s, %s: %d, want %d (%s)", m.who, route, resp.StatusCode, m.want[route], resp.Body)
			}
			if resp.StatusCode == http.StatusNotFound {
				if notFound == "" {
					notFound = resp.Body
				} else if resp.Body != notFound {
					t.Errorf("%s, %s: a 404 that differs from the others: %s", m.who, route, resp.Body)
				}
			}
		}
	}

	// Unknown clients and documents answer exactly like forbidden ones.
	for name, r := range map[string]web.Request{
		"unknown client":   webtest.Request("GET", "/api/clients/{clientReference}/documents", map[string]string{"clientReference": "799999"}, nil, valid),
		"unknown document": webtest.Request("GET", "/api/documents/{id}/download", map[string]string{"id": "dnope"}, nil, valid),
		"odd reference":    webtest.Request("GET", "/api/clients/{clientReference}/documents", map[string]string{"clientReference": "../700001"}, nil, valid),
	} {
		if resp := f.do(t, r); resp.StatusCode != http.StatusNotFound || resp.Body != notFound {
			t.Errorf("%s: %d %s", name, resp.StatusCode, resp.Body)
		}
	}
}

// A batch's file is published in place: its download is pinned to the version that was published,
// so the sender writing the same name again does not change what the person gets; a document under
// batches/ that names no version is never given out.
func TestADocumentPublishedInPlaceDownloadsTheVersionPublished(t *testing.T) {
	f := newFixture(t)
	e := access.Email("ivy@example.com")
	f.account(t, e, "Ivy")
	f.grant(t, e, access.Deputy, "500001", "Client", "")
	cookie := f.signIn(t, e)
	pinned := store.Document{ID: "d500001pinned", ClientReference: "500001", Type: store.CareInvoice, Title: "Invoice", DocumentDate: "2026-10-31",
		PublishedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Size: 100, Key: "batches/billing/run-7/a.pdf", Version: "v3"}
	loose := pinned
	loose.ID, loose.Version = "d500001loose", ""
	f.s.publish(pinned, loose)

	resp := f.do(t, webtest.Request("GET", "/api/documents/{id}/download", map[string]string{"id": string(pinned.ID)}, nil, cookie))
	loc, err := url.Parse(resp.Headers["Location"])
	if resp.StatusCode != http.StatusFound || err != nil || loc.Path != "/batches/billing/run-7/a.pdf" || loc.Query().Get("versionId") != "v3" {
		t.Fatalf("download: %d %q", resp.StatusCode, resp.Headers["Location"])
	}
	resp = f.do(t, webtest.Request("GET", "/api/documents/{id}/download", map[string]string{"id": string(loose.ID)}, nil, cookie))
	if resp.StatusCode != http.StatusNotFound || resp.Headers["Location"] != "" {
		t.Fatalf("a batch's file with no version: %d %q", resp.StatusCode, resp.Headers["Location"])
	}
}
