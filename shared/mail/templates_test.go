package mail

import (
	"strings"
	"testing"
)

var bases = Bases{API: "https://api.example", Portal: "https://portal.example"}

func TestEveryTemplateRendersBothPartsWithNoHoles(t *testing.T) {
	data := map[string]string{"Reference": "r1", "Relationship": "deputy", "Days": "7", "Message": "Send the order",
		"Reason": "not the right LPA", "Code": "123456", "FileName": "lpa.pdf"}
	for name := range templates {
		r, err := Render(Message{Template: name, Data: data}, "https://api.example/review/tok", bases)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.Subject == "" || strings.Contains(r.Text, "{{") || strings.Contains(r.HTML, "{{") || !strings.Contains(r.HTML, "<p>") {
			t.Errorf("%s: %+v", name, r)
		}
	}
}

func TestValuesAreEscapedInHTMLAndLinksShownInFull(t *testing.T) {
	r, err := Render(Message{Template: RequestRejected, Data: map[string]string{"Reference": "r1", "Reason": `<script>alert(1)</script>`}}, "", bases)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.HTML, "<script>") || !strings.Contains(r.HTML, "&lt;script&gt;") || !strings.Contains(r.Text, "<script>") {
		t.Errorf("escaping: %s", r.HTML)
	}
	link := Bases{Portal: "https://portal.example"}.URL(Link{Purpose: Review}, "abc")
	r, _ = Render(Message{Template: ReadyForReview, Data: map[string]string{"Reference": "r", "Relationship": "deputy", "Days": "7"}}, link, bases)
	if !strings.Contains(r.Text, "https://portal.example/review/abc") || !strings.Contains(r.HTML, "https://portal.example/review/abc") {
		t.Errorf("link not shown in full: %s", r.Text)
	}
}

func TestMissingValuesAndUnknownTemplatesAreErrors(t *testing.T) {
	if _, err := Render(Message{Template: RequestRejected, Data: map[string]string{"Reference": "r1"}}, "", bases); err == nil {
		t.Error("missing Reason rendered")
	}
	if _, err := Render(Message{Template: ReadyForReview, Data: map[string]string{"Reference": "r", "Relationship": "d", "Days": "7"}}, "", bases); err == nil {
		t.Error("a link email rendered without its link")
	}
	if _, err := Render(Message{Template: "nope"}, "", bases); err == nil {
		t.Error("unknown template rendered")
	}
}
