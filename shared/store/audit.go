package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/council/cfp/shared/access"
)

// Audit events: who looked at or changed what, about whom, when and from where. One item per event,
// written before anything is shown or handed out, so nothing is seen unrecorded. Each event is in
// up to three lists, each one Query:
//
//	of a client   PK AUDIT#CLIENT#<ref> / SK <at>#<id>       (an event with no client: PK AUDIT#EVENT#<id>)
//	by a person   GSI2 AUDIT#PERSON#<email> / <at>#<id>      (the actor: a citizen or a member of staff)
//	about a person GSI1 AUDIT#SUBJECT#<email> / <at>#<id>    (whom a staff view or action concerns)
//
// A client-less event (a staff look at a person) has a partition of its own rather than one shared
// "no client" partition, which would grow without bound and be hot; it is found by its actor and
// its subject. Events have no TTL: they are kept for the council's records retention, which removes
// them by policy rather than by the table.

// Audit actions. The staff_ ones are recorded by the staff workspace (functions/approval) in the
// name of the signed-in member of staff.
const (
	AuditListDocuments    = "list_documents"
	AuditDownloadDocument = "download_document"
	AuditReplaceDocument  = "replace_document"  // a batch's replace hid it (no person: the sending system)
	AuditWithdrawDocument = "withdraw_document" // a batch's withdraw hid it

	AuditStaffViewQueue         = "staff_view_queue"          // the queue (no client, no subject)
	AuditStaffViewRequest       = "staff_view_request"        // a request's page; subject: its requester
	AuditStaffOpenEvidence      = "staff_open_evidence"       // an evidence file's rendition handed out
	AuditStaffFind              = "staff_find"                // a look-up by short reference
	AuditStaffViewClient        = "staff_view_client"         // a client's page
	AuditStaffViewPerson        = "staff_view_person"         // a person's page; subject: the person
	AuditStaffDecide            = "staff_decide"              // a decision on a request; Detail: which
	AuditStaffClearSuppression  = "staff_clear_suppression"   // an address taken off the suppression list
	AuditStaffReissueInvitation = "staff_reissue_invitation"  // an invitation or review link sent again
	AuditStaffSignOutEverywhere = "staff_sign_out_everywhere" // a person's portal sessions ended
	AuditStaffUnlockSignIn      = "staff_unlock_sign_in"      // a person's sign-in limit lifted
	AuditStaffViewAudit         = "staff_view_audit"          // the audit trail read (information governance)
	AuditStaffDownloadAudit     = "staff_download_audit"      // the audit trail downloaded as CSV
	AuditStaffExport            = "staff_export"              // a subject-access export of a person built
)

// AuditEvent is one audited access or action.
type AuditEvent struct {
	ID              string
	At              time.Time
	Action          string
	Email           access.Email     // who acted ("" for a sending system)
	Subject         access.Email     // whom it is about, when that is a person and not the actor ("" for none)
	ClientReference string           // the client it is about ("" for none)
	RequestID       access.RequestID // the request a staff view or action was on ("" for none)
	DocumentID      DocumentID       // the document downloaded ("" for a list)
	GrantID         access.RequestID // the grant the access rested on
	Detail          string           // a list's filter and page, e.g. "type=care_invoice page=2"; a decision's kind
	SourceIP        string
	UserAgent       string
}

type auditItem struct {
	PK, SK string
	GSI1PK string `dynamodbav:",omitempty"`
	GSI1SK string `dynamodbav:",omitempty"`
	GSI2PK string `dynamodbav:",omitempty"`
	GSI2SK string `dynamodbav:",omitempty"`
	Kind   string // "audit"
	Event  AuditEvent
}

// Audit records an event (one PutItem). A missing ID or time is filled in.
func (s *Store) Audit(ctx context.Context, e AuditEvent) error {
	if e.ID == "" {
		e.ID = access.NewID("a")
	}
	if e.At.IsZero() {
		e.At = s.now()
	}
	e.At = e.At.UTC()
	item := auditItemOf(e)
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")})
	return wrap("audit", err)
}

// auditItemOf marshals an audit event's item. An event with no person (a sending system's
// correction) is in no person's list; one with no subject in no "about" list.
func auditItemOf(e AuditEvent) map[string]types.AttributeValue {
	sk := auditSK(e.At, e.ID)
	k := auditKey(e.ClientReference, e.At, e.ID)
	it := auditItem{PK: k.PK, SK: k.SK, Kind: "audit", Event: e}
	if e.Email != "" {
		it.GSI2PK, it.GSI2SK = auditPersonPK(e.Email), sk
	}
	if e.Subject != "" {
		it.GSI1PK, it.GSI1SK = auditSubjectPK(e.Subject), sk
	}
	item, err := attributevalue.MarshalMap(it)
	if err != nil {
		panic("store: an audit event does not marshal: " + err.Error()) // static types; cannot fail
	}
	return item
}

// AuditOfClient returns up to limit of a client's audit events, newest first (one Query).
func (s *Store) AuditOfClient(ctx context.Context, clientRef string, limit int) ([]AuditEvent, error) {
	events, _, err := s.AuditTrail(ctx, AuditOf{Client: clientRef}, AuditRange{}, limit)
	return events, err
}

// AuditOfPerson returns up to limit of the events a person did, newest first (one Query on GSI2).
func (s *Store) AuditOfPerson(ctx context.Context, e access.Email, limit int) ([]AuditEvent, error) {
	events, _, err := s.AuditTrail(ctx, AuditOf{By: e}, AuditRange{}, limit)
	return events, err
}

// AuditOf names one audit list: exactly one of a client's, the events by a person, or the events
// about a person.
type AuditOf struct {
	Client    string
	By, About access.Email
}

// AuditRange bounds a list by time: From inclusive, To exclusive; a zero bound is open.
type AuditRange struct{ From, To time.Time }

// AuditTrail returns up to limit (at least 1) of a list's events within r, newest first, and whether
// there are more: one Query, its pages followed until limit+1 events are read. Sort keys start with
// the event's fixed-width time, so the range is the key condition SK BETWEEN from and to.
func (s *Store) AuditTrail(ctx context.Context, of AuditOf, r AuditRange, limit int) ([]AuditEvent, bool, error) {
	limit = max(limit, 1)
	pkName, skName, pk := "PK", "SK", auditClientPK(of.Client)
	in := &dynamodb.QueryInput{TableName: &s.table, ScanIndexForward: aws.Bool(false)}
	switch {
	case of.By != "":
		in.IndexName, pkName, skName, pk = aws.String(gsi2.name), gsi2.pk, gsi2.sk, auditPersonPK(of.By)
	case of.About != "":
		in.IndexName, pkName, skName, pk = aws.String(gsi1.name), gsi1.pk, gsi1.sk, auditSubjectPK(of.About)
	case of.Client == "":
		return nil, false, nil // no list named: no events rather than the client-less partition
	}
	if !r.From.IsZero() && !r.To.IsZero() && !r.From.Before(r.To) {
		return nil, false, nil // an empty range (DynamoDB refuses a BETWEEN whose bounds are reversed)
	}
	in.ExpressionAttributeNames = map[string]string{"#pk": pkName}
	in.ExpressionAttributeValues = map[string]types.AttributeValue{":pk": str(pk)}
	cond := "#pk = :pk"
	vals := in.ExpressionAttributeValues
	// Sort keys are "<stamp>#<id>": an event exactly at To sorts after To's bare stamp, so BETWEEN
	// (inclusive) and < both leave it out, as an exclusive bound means.
	switch from, to := !r.From.IsZero(), !r.To.IsZero(); {
	case from && to:
		cond += " AND #sk BETWEEN :from AND :to"
		vals[":from"], vals[":to"] = str(stamp(r.From)), str(stamp(r.To))
	case from:
		cond += " AND #sk >= :from"
		vals[":from"] = str(stamp(r.From))
	case to:
		cond += " AND #sk < :to"
		vals[":to"] = str(stamp(r.To))
	}
	if len(vals) > 1 {
		in.ExpressionAttributeNames["#sk"] = skName
	}
	in.KeyConditionExpression = aws.String(cond)
	var events []AuditEvent
	for {
		in.Limit = aws.Int32(int32(limit + 1 - len(events)))
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, false, wrap("audit events", err)
		}
		var items []auditItem
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
			return nil, false, wrap("audit events", err)
		}
		for _, it := range items {
			events = append(events, it.Event)
		}
		if len(events) > limit {
			return events[:limit], true, nil
		}
		if len(out.LastEvaluatedKey) == 0 {
			return events, false, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}
