package access

import (
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func good() NewRequest {
	return NewRequest{
		Requester:    &Requester{Name: "Ada Lovelace", Email: "Ada@Example.com", Phone: "01632 960001"},
		Relationship: AttorneyLPA,
		Client:       Client{Name: "Ann Lovelace", DateOfBirth: "1940-02-01", Postcode: "sw1a1aa"},
		Evidence:     []File{{FileName: "lpa.pdf", ContentType: "application/pdf", Size: 1234}},
	}
}

func fields(errs []FieldError) string {
	var s []string
	for _, e := range errs {
		s = append(s, e.Field)
	}
	return strings.Join(s, ",")
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		change func(*NewRequest)
		want   string
	}{
		{"valid", func(*NewRequest) {}, ""},
		{"self needs no evidence", func(n *NewRequest) { n.Relationship = Self; n.Evidence = nil }, ""},
		{"LPA code instead of files", func(n *NewRequest) {
			n.Evidence = nil
			n.LPAAccessCode = "V-AB12-CD34-EF56"
			n.DonorSurname = "Lovelace"
		}, ""},
		{"deputy needs evidence", func(n *NewRequest) { n.Relationship = Deputy; n.Evidence = nil }, "evidence"},
		{"code only for LPA", func(n *NewRequest) {
			n.Relationship = Deputy
			n.LPAAccessCode = "V-AB12-CD34-EF56"
			n.DonorSurname = "X"
		}, "lpaAccessCode"},
		{"bad code", func(n *NewRequest) { n.LPAAccessCode = "1234"; n.DonorSurname = "X" }, "lpaAccessCode"},
		{"future date of birth", func(n *NewRequest) { n.Client.DateOfBirth = "2030-01-01" }, "client.dateOfBirth"},
		{"not a date", func(n *NewRequest) { n.Client.DateOfBirth = "01/02/1940" }, "client.dateOfBirth"},
		{"invalid email", func(n *NewRequest) { n.Requester.Email = "ada@" }, "requester.email"},
		{"email with display name", func(n *NewRequest) { n.Requester.Email = "Ada <ada@example.com>" }, "requester.email"},
		{"health and welfare", func(n *NewRequest) { n.Relationship = HealthAndWelfare }, "relationship"},
		{"unknown relationship", func(n *NewRequest) { n.Relationship = "friend" }, "relationship"},
		{"six files", func(n *NewRequest) {
			n.Evidence = append(n.Evidence, n.Evidence[0], n.Evidence[0], n.Evidence[0], n.Evidence[0], n.Evidence[0])
		}, "evidence"},
		{"file too big", func(n *NewRequest) { n.Evidence[0].Size = MaxFileSize + 1 }, "evidence[0].size"},
		{"wrong type", func(n *NewRequest) { n.Evidence[0].ContentType = "application/x-msdownload" }, "evidence[0].contentType"},
		{"path in name", func(n *NewRequest) { n.Evidence[0].FileName = "../../etc/passwd" }, "evidence[0].fileName"},
		{"missing names", func(n *NewRequest) { n.Requester.Name = " "; n.Client.Name = "" }, "requester.name,client.name"},
		{"oversized name", func(n *NewRequest) { n.Client.Name = strings.Repeat("a", 101) }, "client.name"},
		{"bad postcode", func(n *NewRequest) { n.Client.Postcode = "12345" }, "client.postcode"},
		{"no requester", func(n *NewRequest) { n.Requester = nil }, "requester"},
	}
	for _, c := range cases {
		n := good()
		c.change(&n)
		if got := fields(n.Validate(now, false)); got != c.want {
			t.Errorf("%s: bad fields %q, want %q", c.name, got, c.want)
		}
	}
	n := good()
	n.Relationship = HealthAndWelfare
	if msg := n.Validate(now, false)[0].Message; !strings.Contains(msg, "property and financial affairs") {
		t.Errorf("health and welfare message does not say what gives access: %q", msg)
	}
	n = good()
	if got := fields(n.Validate(now, true)); got != "requester" {
		t.Errorf("signed in with requester in body: %q", got)
	}
}

func TestTransitions(t *testing.T) {
	if !CanMove(ReadyForReview, Approved) || CanMove(Approved, Rejected) || CanMove(Rejected, Approved) || CanMove(AwaitingEvidence, Approved) {
		t.Fatal("state machine allows the wrong moves")
	}
}

func TestEvidenceKeys(t *testing.T) {
	r, e, ok := ParseEvidenceKey(EvidenceKey("r1", "e2"))
	if !ok || r != "r1" || e != "e2" {
		t.Fatal("round trip")
	}
	for _, k := range []string{"evidence/r1", "evidence/r1/e2/x", "other/r1/e2", "evidence//e2"} {
		if _, _, ok := ParseEvidenceKey(k); ok {
			t.Errorf("%q accepted", k)
		}
	}
	if NormaliseEmail(" A@B.COM ") != "a@b.com" || NormalisePostcode("sw1a1aa") != "SW1A 1AA" {
		t.Fatal("normalise")
	}
}

func TestEmailList(t *testing.T) {
	got := EmailList(" A@Council.example, ,b@council.example,,")
	if len(got) != 2 || got[0] != "a@council.example" || got[1] != "b@council.example" {
		t.Fatalf("%v", got)
	}
}
