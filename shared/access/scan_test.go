package access

import "testing"

var (
	passed   = Check{ETag: "e1", SHA256: "abc"}
	refusedC = Check{ETag: "e1", SHA256: "abc", Problem: "The file is empty."}
	cleanV   = Verdict{ETag: "e1", Outcome: Clean, Value: "NO_THREATS_FOUND"}
	virus    = Verdict{ETag: "e1", Outcome: Infected, Value: "THREATS_FOUND", Reason: "virus"}
	failedV  = Verdict{ETag: "e1", Outcome: ScanFailed, Value: "UNSUPPORTED", Reason: "could not scan"}
)

// TestScanFactsAddUpWhateverTheirOrder: the status is a function of the facts, not of their order.
func TestScanFactsAddUpWhateverTheirOrder(t *testing.T) {
	for _, c := range []struct {
		check   Check
		verdict Verdict
		want    EvidenceStatus
		remove  bool
	}{
		{passed, cleanV, Clean, false},
		{passed, failedV, ScanFailed, false},
		{passed, virus, Infected, true},
		{refusedC, cleanV, EvRejected, true},
		{refusedC, virus, Infected, true},
	} {
		a := Scan{}.WithCheck(c.check).WithVerdict(c.verdict)
		b := Scan{}.WithVerdict(c.verdict).WithCheck(c.check)
		if a != b || a.Status() != c.want || a.Remove() != c.remove {
			t.Errorf("%+v %+v: %+v / %+v, want %s", c.check, c.verdict, a, b, c.want)
		}
		if again := a.WithCheck(c.check).WithVerdict(c.verdict); again != a {
			t.Errorf("a duplicate changed the facts: %+v", again)
		}
	}
	if s := (Scan{}).WithCheck(passed); s.Status() != EvScanning || s.Reason() != "" || s.Remove() {
		t.Errorf("checks alone: %+v", s)
	}
	if s := (Scan{}).WithCheck(refusedC); s.Status() != EvRejected || s.Remove() {
		t.Errorf("a refused file waits for its verdict before it is removed: %+v", s)
	}
}

func TestAVerdictOnlyEverEscalatesToInfected(t *testing.T) {
	s := Scan{}.WithCheck(passed).WithVerdict(cleanV).WithVerdict(failedV)
	if s.Status() != Clean {
		t.Errorf("a later failure overwrote a clean verdict: %s", s.Status())
	}
	if s = s.WithVerdict(virus); s.Status() != Infected || s.Reason() != "virus" {
		t.Errorf("infected did not escalate: %+v", s)
	}
}

func TestASecondObjectAtTheSameKeyIsRefused(t *testing.T) {
	s := Scan{}.WithCheck(passed).WithVerdict(Verdict{ETag: "e2", Outcome: Clean})
	if !s.Replaced || s.Status() != EvRejected || s.Reason() == "" || !s.Remove() {
		t.Errorf("%+v", s)
	}
}

func TestSettle(t *testing.T) {
	e := Evidence{ID: "e", Status: AwaitingUpload}.Settle(Scan{}.WithCheck(refusedC).WithVerdict(virus), later)
	if e.Status != Infected || e.Reason != "virus" || e.SHA256 != "abc" || e.Verdict != "THREATS_FOUND" || !e.UpdatedAt.Equal(later) || !e.UploadedAt.Equal(later) {
		t.Errorf("%+v", e)
	}
	if again := e.Settle(Scan{}, later.Add(1)); !again.UploadedAt.Equal(later) {
		t.Error("the upload time moved")
	}
}

// A replacement can carry the ETag of what it replaces (an ETag is an MD5): the version id tells
// them apart, and the replacement inherits neither the checks nor the verdict.
func TestAReplacementWithTheSameETagIsAnotherObject(t *testing.T) {
	v1 := Scan{}.WithCheck(Check{Version: "v1", ETag: "e1", SHA256: "abc"}).WithVerdict(Verdict{Version: "v1", ETag: "e1", Outcome: Clean})
	if v1.Status() != Clean || v1.Version != "v1" || !v1.Is("v1", "e1") {
		t.Fatalf("%+v", v1)
	}
	if v1.Is("v2", "e1") {
		t.Fatal("another version with the same ETag is the same object")
	}
	s := v1.WithCheck(Check{Version: "v2", ETag: "e1", SHA256: "def"})
	if !s.Replaced || s.Status() != EvRejected || s.SHA256 != "abc" {
		t.Errorf("%+v", s)
	}
	// Facts from before versions were recorded take the first version seen with their ETag.
	old := Scan{ETag: "e1", Checked: true, SHA256: "abc"}.WithVerdict(Verdict{Version: "v1", ETag: "e1", Outcome: Clean})
	if old.Replaced || old.Version != "v1" || old.Status() != Clean {
		t.Errorf("%+v", old)
	}
}

// TestOnlyARenditionIsEverShown: staff are given a rendition of the bytes checked, at its own key
// and version, or told why not; never the upload, whatever a record says.
func TestOnlyARenditionIsEverShown(t *testing.T) {
	made := Rendition{Version: "v1", SHA256: "abc", Key: RenditionKey("r1", "e1"), Object: "rv1", Type: "application/pdf", Pages: 1}
	clean := Evidence{ID: "e1", RequestID: "r1", Status: Clean, SHA256: "abc"}
	with := func(e Evidence, f func(*Rendition)) Evidence {
		rd := made
		f(&rd)
		e.Rendition = &rd
		return e
	}
	same := func(*Rendition) {}
	for name, c := range map[string]struct {
		e    Evidence
		want Showing
	}{
		"made":                       {with(clean, same), ShowRendition},
		"not made yet":               {clean, ShowPreparing},
		"refused":                    {with(clean, func(r *Rendition) { r.Key, r.Object, r.Refused = "", "", "The file cannot be opened as a PDF." }), ShowRefused},
		"of other bytes":             {with(clean, func(r *Rendition) { r.SHA256 = "def" }), ShowPreparing},
		"pointing at the upload":     {with(clean, func(r *Rendition) { r.Key = EvidenceKey("r1", "e1") }), ShowPreparing},
		"of another file":            {with(clean, func(r *Rendition) { r.Key = RenditionKey("r1", "e2") }), ShowPreparing},
		"without its object version": {with(clean, func(r *Rendition) { r.Object = "" }), ShowPreparing},
		"file not clean":             {with(Evidence{ID: "e1", RequestID: "r1", Status: Infected, SHA256: "abc"}, same), ShowNothing},
		"file pending":               {Evidence{ID: "e1", RequestID: "r1", Status: EvScanning}, ShowNothing},
	} {
		if got := c.e.Showing(); got != c.want {
			t.Errorf("%s: %d, want %d", name, got, c.want)
		}
	}
}
