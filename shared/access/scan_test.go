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
