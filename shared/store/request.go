package store

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/council/cfp/shared/access"
)

// requestItem is an access request as stored; once approved it is also the grant (GSI keys set).
// Its status is stored once, at the top of the item, where conditions read it.
type requestItem struct {
	PK, SK  string
	GSI1PK  string `dynamodbav:",omitempty"`
	GSI1SK  string `dynamodbav:",omitempty"`
	GSI2PK  string `dynamodbav:",omitempty"`
	GSI2SK  string `dynamodbav:",omitempty"`
	Kind    string // "request"
	Request access.Request
	Status  access.Status
	Version int
	// ExpiresAt is the TTL of a draft (access.Request.Draft): an hour after it stops working, the
	// table removes it. Absent once the draft is confirmed.
	ExpiresAt int64 `dynamodbav:",omitempty"`
}

func (it *requestItem) restore() { it.Request.Status = it.Status }

type evidenceItem struct {
	PK, SK   string
	Kind     string // "evidence"
	Evidence access.Evidence
	Status   access.EvidenceStatus
	// ExpiresAt is the TTL of a draft's file (see requestItem); removed when the draft is confirmed.
	ExpiresAt int64 `dynamodbav:",omitempty"`
}

func (it *evidenceItem) restore() { it.Evidence.Status = it.Status }

// restorer is an item whose entity's status is stored once, at the top of the item.
type restorer interface{ restore() }

// marshalItem marshals an item, leaving out the nested entity's copy of the status.
func marshalItem(v any, nested string) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMap(v)
	if m, ok := item[nested].(*types.AttributeValueMemberM); ok {
		delete(m.Value, "Status")
	}
	return item, err
}

// unmarshalItem is marshalItem's inverse.
func unmarshalItem(item map[string]types.AttributeValue, v any) error {
	err := attributevalue.UnmarshalMap(item, v)
	if r, ok := v.(restorer); ok && err == nil {
		r.restore()
	}
	return err
}

// newRequestItem is the item of a request in the state r is in: its indexes follow from the state
// (in the review queue while ready for review, in the grant indexes while a live grant). prev is
// the item as read; a request still in the review queue keeps its place there. The staff queue
// (queue.go) is those partitions of GSI1: awaiting review, more information or upload.
func newRequestItem(r access.Request, version int, prev requestItem) requestItem {
	k := requestKey(r.ID)
	it := requestItem{PK: k.PK, SK: k.SK, Kind: "request", Request: r, Status: r.Status, Version: version, ExpiresAt: draftTTL(r)}
	switch {
	case queuePK(r.Status) != "":
		it.GSI1PK, it.GSI1SK = queuePK(r.Status), reviewSK(r.UpdatedAt, r.ID)
		if prev.GSI1PK == it.GSI1PK {
			it.GSI1SK = prev.GSI1SK
		}
	case r.Status == access.Expired:
		// Its files and links are deleted after the write that expires it (expire.go): until
		// that is done, it waits here, so a failed or interrupted deletion is taken up again.
		it.GSI1PK, it.GSI1SK = purgeQueue, dueKey(r.UpdatedAt, string(r.ID))
	case r.Live():
		ref := r.Decision.ClientReference
		it.GSI1PK, it.GSI1SK = personPK(r.Requester.Email), grantPersonSK(ref, r.ID)
		it.GSI2PK, it.GSI2SK = clientPK(ref), grantClientSK(r.ID)
	}
	if ref := r.Client.ClientReference; ref != "" && !r.Draft && !r.Status.Decided() && access.IsClientReference(ref) {
		// Sent, not yet decided, and its requester gave the client's reference: staff see it beside
		// the reference's grants (OpenRequestsFor). A decision takes it out.
		it.GSI2PK, it.GSI2SK = clientPK(ref), openRequestSK(r.CreatedAt, r.ID)
	}
	return it
}

// draftTTL is the TTL of a draft's items (0, none, once confirmed): its files go with it.
func draftTTL(r access.Request) int64 {
	if !r.Draft {
		return 0
	}
	return r.ExpiresAt.Add(time.Hour).Unix()
}

// marshalEvidence is an evidence item of req: a draft's expires with it.
func marshalEvidence(e access.Evidence, req access.Request) (map[string]types.AttributeValue, error) {
	k := evidenceKey(e.RequestID, e.ID)
	return marshalItem(evidenceItem{PK: k.PK, SK: k.SK, Kind: "evidence", Evidence: e, Status: e.Status, ExpiresAt: draftTTL(req)}, "Evidence")
}

// CreateRequest writes a new request (or a draft: access.NewDraft, with no events), its declared evidence and the events that follow it in one
// transaction, counting it against the limits in the same write. ErrLimited: a limit is reached
// and nothing was written.
func (s *Store) CreateRequest(ctx context.Context, r access.Request, ev []access.Evidence, events []access.Event, limits ...Limit) error {
	now := s.now()
	t, err := s.limited(ctx, now, limits...)
	if err != nil {
		return err
	}
	item, err := marshalItem(newRequestItem(r, 0, requestItem{}), "Request")
	if err != nil {
		return wrap("create request", err)
	}
	t.put(item, cond{expr: "attribute_not_exists(PK)"}, ErrConflict)
	if !r.Draft {
		// A request made whole through the API is confirmed at once: it joins its requester's
		// list now, as a draft does when it is sent (SendRequest).
		item, err := attributevalue.MarshalMap(requesterItemOf(r))
		if err != nil {
			return wrap("create request", err)
		}
		t.put(item, cond{}, nil)
	}
	if r.Reference != "" {
		ref, err := attributevalue.MarshalMap(referenceItem{PK: referenceKey(r.Reference).PK, SK: referenceKey(r.Reference).SK, Kind: "reference", Request: r.ID})
		if err != nil {
			return wrap("create request", err)
		}
		t.put(ref, cond{expr: "attribute_not_exists(PK)"}, ErrConflict)
	}
	for _, e := range ev {
		item, err := marshalEvidence(e, r)
		if err != nil {
			return wrap("create request", err)
		}
		t.put(item, cond{}, nil)
	}
	t.events(events, now)
	return s.run(ctx, t, "create request")
}

// referenceItem finds a request by its short reference. It has no TTL: a draft that expires
// leaves it pointing at nothing, which reads as no request.
type referenceItem struct {
	PK, SK  string
	Kind    string // "reference"
	Request access.RequestID
}

// RequestByReference returns the confirmed request with that short reference and its evidence.
// ErrNotFound: no such reference, or a draft (sent to nobody yet), or one that expired.
func (s *Store) RequestByReference(ctx context.Context, ref access.Reference) (access.Request, []access.Evidence, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: referenceKey(ref).av()})
	if err != nil {
		return access.Request{}, nil, wrap("request by reference", err)
	}
	var it referenceItem
	if len(out.Item) == 0 {
		return access.Request{}, nil, ErrNotFound
	}
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return access.Request{}, nil, wrap("request by reference", err)
	}
	r, ev, err := s.Request(ctx, it.Request)
	if err == nil && r.Draft {
		return access.Request{}, nil, ErrNotFound
	}
	return r, ev, err
}

// Request returns a request with its evidence (every round), read consistently.
func (s *Store) Request(ctx context.Context, id access.RequestID) (access.Request, []access.Evidence, error) {
	req, items, err := s.partition(ctx, id)
	if err != nil {
		return access.Request{}, nil, err
	}
	return req.Request, evidenceOf(items), nil
}

func evidenceOf(items []evidenceItem) []access.Evidence {
	ev := make([]access.Evidence, len(items))
	for i, it := range items {
		ev[i] = it.Evidence
	}
	return ev
}

// SubmitRequest sends a request's evidence for checks (access.Request.Submit). ErrConflict: its
// status does not allow it (someone else submitted it first).
func (s *Store) SubmitRequest(ctx context.Context, id access.RequestID) error {
	_, err := s.change(ctx, id, "submit request", func(r access.Request, _ []evidenceItem, now time.Time, _ *tx) (access.Request, []access.Event, error) {
		return r.Submit(now)
	})
	return err
}

// decision is one change of a request, decided by its access method on the request as read (with
// its evidence); it may add conditions to the write (t), which must then still hold.
type decision func(r access.Request, ev []evidenceItem, now time.Time, t *tx) (access.Request, []access.Event, error)

// changeAttempts bounds the retries when the request changed between the read and the write but
// still allows the change (another reviewer's security note, a file added, say).
const changeAttempts = 4

// change reads the request and its evidence, lets decide make the change, and writes the new state
// and its events in one transaction conditioned on the status and version read. A write that lost
// to another is decided again on a fresh read, which then shows the other's change. A move the
// request's status does not allow is ErrConflict. It returns the request as written, or as read
// when the decision was refused (with the decision's error).
func (s *Store) change(ctx context.Context, id access.RequestID, op string, decide decision) (access.Request, error) {
	return s.changeItem(ctx, id, op, func(it requestItem, ev []evidenceItem, now time.Time, t *tx) (access.Request, []access.Event, error) {
		return decide(it.Request, ev, now, t)
	})
}

// itemDecision is a decision that also reads what the item as read records beside the request
// (when it came into its queue, say).
type itemDecision func(it requestItem, ev []evidenceItem, now time.Time, t *tx) (access.Request, []access.Event, error)

// changeItem is change with a decision that sees the item as read.
func (s *Store) changeItem(ctx context.Context, id access.RequestID, op string, decide itemDecision) (access.Request, error) {
	for attempt := 0; attempt < changeAttempts; attempt++ {
		it, ev, err := s.partition(ctx, id)
		if err != nil {
			return access.Request{}, err
		}
		now := s.now().UTC()
		// The request's write comes first; its item is filled in once decided.
		t := s.tx().put(nil, cond{expr: "#st = :from AND Version = :v", names: map[string]string{"#st": "Status"},
			values: map[string]types.AttributeValue{":from": str(string(it.Status)), ":v": num(strconv.Itoa(it.Version))}}, ErrConflict)
		r, events, err := decide(it, ev, now, t)
		if errors.Is(err, access.ErrIllegalMove) {
			return it.Request, errors.Join(ErrConflict, err)
		}
		if err != nil {
			return it.Request, err
		}
		if t.items[0].Put.Item, err = marshalItem(newRequestItem(r, it.Version+1, it), "Request"); err != nil {
			return it.Request, wrap(op, err)
		}
		t.events(events, now)
		switch err := s.run(ctx, t, op); {
		case errors.Is(err, ErrConflict):
			continue
		case err != nil:
			return it.Request, err
		}
		return r, nil
	}
	return access.Request{}, ErrConflict
}

// WithdrawRequest withdraws a request for its requester (access.Request.Withdraw): the new status,
// out of the staff queue's index (newRequestItem), and the requester's email, in one write
// conditioned on the status and version read. The continuation token, the one link token stored on
// the request, stops working in the same write. The emailed status and "more information" links
// are token items keyed by their hash alone, which nothing stored leads back to from the request:
// they stay until their TTL, and every use of them reads the request's status first. ErrConflict:
// the request is decided (or withdrawn) already.
func (s *Store) WithdrawRequest(ctx context.Context, id access.RequestID) (access.Request, error) {
	return s.change(ctx, id, "withdraw request", func(r access.Request, _ []evidenceItem, now time.Time, _ *tx) (access.Request, []access.Event, error) {
		r, events, err := r.Withdraw(now)
		if err == nil {
			r.ContinuationHash = ""
		}
		return r, events, err
	})
}
