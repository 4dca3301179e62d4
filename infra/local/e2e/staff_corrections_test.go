package e2e

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// docRowRE is one document's row on the staff client page, by its id.
var docRowRE = regexp.MustCompile(`(?s)<tr class="govuk-table__row" id="document-([^"]+)">(.*?)</tr>`)

// staffSeesCorrections opens the client's page in the staff workspace as the sample reviewer and
// checks the batch's corrections show there: the new document current, the replaced one marked
// "Replaced" with its date and a link to the new one's row, the withdrawn one marked "Withdrawn".
func staffSeesCorrections(t *testing.T, ref, current, replaced, withdrawn string) {
	t.Helper()
	c := newStaffClient()
	staffSignIn(t, c, "reviewer")
	resp, err := c.Get(portal + "/staff/clients/" + ref)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the staff client page: %d %.300s", resp.StatusCode, body)
	}
	rows := map[string]string{}
	for _, m := range docRowRE.FindAllStringSubmatch(string(body), -1) {
		rows[m[1]] = m[2]
	}
	for id, want := range map[string][]string{
		current:   {">Current<"},
		replaced:  {">Replaced<", `href="#document-` + current + `"`, "Invoice corrected"},
		withdrawn: {">Withdrawn<", "Statement"},
	} {
		for _, w := range want {
			if !strings.Contains(rows[id], w) {
				t.Errorf("document %s's row on the staff client page lacks %q: %s", id, w, rows[id])
			}
		}
	}
	if len(rows) != 3 {
		t.Errorf("the staff client page lists %d documents, want 3", len(rows))
	}
}
