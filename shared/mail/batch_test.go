package mail

import (
	"strings"
	"testing"

	"github.com/council/cfp/shared/batch"
)

// A batch's summary is its counts, once per batch and address, and holds no client's data.
func TestBatchReportIsCountsOnly(t *testing.T) {
	b := batch.ID{System: "billing", Name: "run-7"}
	m := BatchReportOf("support@council.example", b, batch.Tally{Rows: 5, Published: 2, Replaced: 1, Refused: 1, Missing: 1, Unlisted: 3})
	if again := BatchReportOf("support@council.example", b, batch.Tally{}); again.ID != m.ID {
		t.Error("the same batch's summary has two ids")
	}
	if other := BatchReportOf("lead@council.example", b, batch.Tally{}); other.ID == m.ID {
		t.Error("two addresses share a summary's id")
	}
	r, err := Render(m, "", bases)
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != "Batch report: billing/run-7" || !strings.Contains(r.Text, "Published 2, replaced 1, withdrawn 0, refused 1, missing 1; files not in the manifest 3.") ||
		!strings.Contains(r.HTML, "<p>") {
		t.Errorf("%+v", r)
	}
	if _, err := Render(Message{Template: BatchReport, Batch: "billing/run-7"}, "", bases); err == nil {
		t.Error("a summary without counts rendered")
	}
}
