package main

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
)

// Plan is one sample billing run: who has access to which client, and the documents to drop.
type Plan struct {
	Run    string // names this run in keys and addresses, so runs never mix
	Grants []store.Grant
	Docs   []SampleDoc
}

// SampleDoc is one document of the run. Bad ones are dropped with a fault the publisher must
// reject (Bad says which).
type SampleDoc struct {
	Key  string
	Ref  string
	Meta map[string]string
	Body []byte
	Bad  string
}

// Size of a plan.
type Size struct {
	Docs, Clients, Grantees int
	Bad                     float64 // share of documents dropped with a fault
}

var docTypes = []store.DocumentType{store.CareInvoice, store.DirectPaymentRemittance, store.DeferredPaymentStatement, store.AssessmentOutcome}

// NewPlan makes a run: client references of the council's format (10 digits, the run's number in
// them), each grantee a person of their own with access to one client (clients taking grantees in
// turn, so with more grantees than clients some have joint attorneys or deputies), and documents
// shared out evenly, each client's together (the export writes a client's batch at once): a
// four-weekly care invoice first, then the other kinds.
func NewPlan(sz Size, rng *rand.Rand) Plan {
	number := rng.IntN(1000)
	p := Plan{Run: fmt.Sprintf("%s-%03d", time.Now().UTC().Format("20060102-1504"), number)}
	ref := func(c int) string { return fmt.Sprintf("8%03d%06d", number, c) }
	for g := range sz.Grantees {
		c := g % sz.Clients
		p.Grants = append(p.Grants, store.Grant{
			Email: access.Email(fmt.Sprintf("grantee-%s-%d@example.org", p.Run, g)), Name: fmt.Sprintf("Grantee %d", g),
			ClientReference: ref(c), ClientName: fmt.Sprintf("Client %d", c), Relationship: access.AttorneyLPA,
		})
	}
	periodEnd := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	every := 0
	if sz.Bad > 0 {
		every = max(1, int(1/sz.Bad+0.5))
	}
	for i := range sz.Docs {
		c := i * sz.Clients / sz.Docs // clients in order, each with its share of the documents
		round := i - (c*sz.Docs+sz.Clients-1)/sz.Clients
		t := docTypes[round%len(docTypes)]
		d := SampleDoc{Ref: ref(c), Key: fmt.Sprintf("inbound/billing-%s/%s/%s-%d.pdf", p.Run, ref(c), t, i)}
		title, lines := sampleContent(t, ref(c), c, periodEnd, rng)
		d.Meta = map[string]string{"client-reference": d.Ref, "document-type": string(t), "document-date": periodEnd.Format("2006-01-02"), "title": title}
		d.Body = samplePDF(lines)
		if every > 0 && i%every == every-1 {
			spoil(&d, i/every)
		}
		p.Docs = append(p.Docs, d)
	}
	return p
}

// spoil gives a document one of the faults a back-office export can have.
func spoil(d *SampleDoc, n int) {
	switch n % 4 {
	case 0:
		d.Body, d.Bad = []byte("Client,Amount\n"+d.Ref+",123.45\n"), "not a PDF (a CSV export)"
	case 1:
		delete(d.Meta, "document-date")
		d.Bad = "no document-date"
	case 2:
		d.Meta["document-type"], d.Bad = "care_invoice_v2", "unknown document-type"
	case 3:
		d.Meta["client-reference"], d.Bad = "C/"+d.Ref, "client reference not in the council's format"
	}
}

func sampleContent(t store.DocumentType, ref string, client int, end time.Time, rng *rand.Rand) (string, []string) {
	start := end.AddDate(0, 0, -28)
	period := start.Format("2 January 2006") + " to " + end.AddDate(0, 0, -1).Format("2 January 2006")
	amount := fmt.Sprintf("GBP %d.%02d", 50+rng.IntN(1500), rng.IntN(100))
	head := []string{"", "Client Financial Services, Adult Social Care", "Client reference: " + ref, fmt.Sprintf("Client: Client %d", client), ""}
	switch t {
	case store.CareInvoice:
		return "Care invoice, 4 weeks to " + end.AddDate(0, 0, -1).Format("2 January 2006"),
			append([]string{"Care invoice"}, append(head, "Period: "+period, "Residential care, 28 nights", "Your contribution: "+amount, "Payment is due within 28 days.")...)
	case store.DirectPaymentRemittance:
		return "Direct payment remittance advice, " + end.Format("January 2006"),
			append([]string{"Direct payment remittance advice"}, append(head, "Period: "+period, "Paid to your direct payment account: "+amount)...)
	case store.DeferredPaymentStatement:
		return "Deferred payment scheme statement, " + end.Format("January 2006"),
			append([]string{"Deferred payment scheme statement"}, append(head, "Statement date: "+end.Format("2 January 2006"), "Amount deferred to date: "+amount)...)
	default:
		return "Financial assessment outcome",
			append([]string{"Financial assessment outcome"}, append(head, "Assessment date: "+end.Format("2 January 2006"), "Your assessed weekly contribution: "+amount)...)
	}
}

// Expected is what a correct system does with a plan.
type Expected struct {
	Published, Rejected int
	Notified            int // distinct grantees whose client has at least one good document
}

func (p Plan) Expected() Expected {
	var e Expected
	good := map[string]bool{}
	for _, d := range p.Docs {
		if d.Bad != "" {
			e.Rejected++
			continue
		}
		e.Published++
		good[d.Ref] = true
	}
	for _, g := range p.Grants {
		if good[g.ClientReference] {
			e.Notified++
		}
	}
	return e
}
