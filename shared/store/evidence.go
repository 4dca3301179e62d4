package store

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/council/cfp/shared/access"
)

// Evidence scanning: the facts and what they add up to are the domain's (access.Scan). Each
// evidence item keeps them (attribute Scan, versioned by ScanVersion); writes are conditional on
// ScanVersion, so two events racing on one item cannot lose each other's facts.

// The scan facts, as the scanner's callers name them.
type (
	Check   = access.Check
	Verdict = access.Verdict
	Scan    = access.Scan
)

type scannedItem struct {
	Evidence    access.Evidence
	Status      access.EvidenceStatus
	Scan        Scan
	ScanVersion int
}

func (it *scannedItem) restore() { it.Evidence.Status = it.Status }

// Evidence returns one evidence item and what is known about its object (read consistently).
func (s *Store) Evidence(ctx context.Context, r access.RequestID, e access.EvidenceID) (access.Evidence, Scan, error) {
	it, err := s.scanned(ctx, r, e)
	return it.Evidence, it.Scan, err
}

func (s *Store) scanned(ctx context.Context, r access.RequestID, e access.EvidenceID) (scannedItem, error) {
	return get[scannedItem](ctx, s, evidenceKey(r, e), "evidence")
}

// RecordCheck records the content checks of an evidence object and returns the evidence as it now
// is. ErrNotFound: no such evidence.
func (s *Store) RecordCheck(ctx context.Context, r access.RequestID, e access.EvidenceID, c Check) (access.Evidence, Scan, error) {
	return s.record(ctx, r, e, func(f Scan) Scan { return f.WithCheck(c) })
}

// RecordVerdict records the malware verdict on an evidence object and returns the evidence as it
// now is. ErrNotFound: no such evidence.
func (s *Store) RecordVerdict(ctx context.Context, r access.RequestID, e access.EvidenceID, v Verdict) (access.Evidence, Scan, error) {
	return s.record(ctx, r, e, func(f Scan) Scan { return f.WithVerdict(v) })
}

// record applies a fact with optimistic concurrency: read, apply, write if nobody wrote in between,
// else read again. When the file becomes refused, the email asking the requester for a new upload
// is queued in the same write.
func (s *Store) record(ctx context.Context, r access.RequestID, e access.EvidenceID, apply func(Scan) Scan) (access.Evidence, Scan, error) {
	for attempt := 0; attempt < 8; attempt++ {
		it, err := s.scanned(ctx, r, e)
		if err != nil {
			return access.Evidence{}, Scan{}, err
		}
		facts := apply(it.Scan)
		if facts == it.Scan && it.ScanVersion > 0 {
			return it.Evidence, facts, nil // a duplicate: nothing new
		}
		now := s.now().UTC()
		ev := it.Evidence.Settle(facts, now)
		t, err := s.recordWrite(ctx, it, ev, facts, now)
		if err != nil {
			return access.Evidence{}, Scan{}, err
		}
		switch err := s.run(ctx, t, "record scan"); {
		case errors.Is(err, ErrConflict):
			continue // another event wrote first: apply this fact to what it wrote
		case err != nil:
			return access.Evidence{}, Scan{}, err
		}
		return ev, facts, nil
	}
	return access.Evidence{}, Scan{}, ErrConflict
}

func (s *Store) recordWrite(ctx context.Context, it scannedItem, ev access.Evidence, facts Scan, now time.Time) (*tx, error) {
	scanAV, err := attributevalue.Marshal(facts)
	if err != nil {
		return nil, wrap("record scan", err)
	}
	stamp := func(t time.Time) types.AttributeValue { return str(t.Format(time.RFC3339Nano)) }
	c := cond{
		expr:  "ScanVersion = :seen",
		names: map[string]string{"#st": "Status", "#ev": "Evidence", "#scan": "Scan"}, // SCAN is a reserved word
		values: map[string]types.AttributeValue{
			":st": str(string(ev.Status)), ":reason": str(ev.Reason), ":sha": str(ev.SHA256), ":verdict": str(ev.Verdict),
			":now": stamp(now), ":up": stamp(ev.UploadedAt), ":scan": scanAV, ":one": num("1"),
			":seen": num(strconv.Itoa(it.ScanVersion)),
		},
	}
	if it.ScanVersion == 0 {
		c.expr = "attribute_exists(PK) AND attribute_not_exists(ScanVersion)"
		delete(c.values, ":seen")
	}
	t := s.tx().update(evidenceKey(ev.RequestID, ev.ID), "SET #st = :st, #ev.Reason = :reason, #ev.SHA256 = :sha, #ev.Verdict = :verdict, "+
		"#ev.UpdatedAt = :now, #ev.UploadedAt = :up, #scan = :scan ADD ScanVersion :one", c, ErrConflict)
	if ev.Status.Refused() && !it.Evidence.Status.Refused() {
		req, _, err := s.partition(ctx, ev.RequestID)
		if err != nil {
			return nil, err
		}
		t.events(req.Request.EvidenceSettled(it.Evidence, ev), now)
	}
	return t, nil
}

// partition reads a request and all its evidence with one strongly consistent Query (paged).
func (s *Store) partition(ctx context.Context, id access.RequestID) (requestItem, []evidenceItem, error) {
	var (
		req   requestItem
		found bool
		ev    []evidenceItem
		start map[string]types.AttributeValue
	)
	for {
		out, err := s.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 &s.table,
			KeyConditionExpression:    aws.String("PK = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(requestKey(id).PK)},
			ConsistentRead:            aws.Bool(true),
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return req, nil, wrap("request", err)
		}
		for _, item := range out.Items {
			sk, _ := item["SK"].(*types.AttributeValueMemberS)
			switch {
			case sk == nil:
			case sk.Value == requestKey(id).SK:
				if err := unmarshalItem(item, &req); err != nil {
					return req, nil, wrap("request", err)
				}
				found = true
			case strings.HasPrefix(sk.Value, evidencePre):
				var it evidenceItem
				if err := unmarshalItem(item, &it); err != nil {
					return req, nil, wrap("request", err)
				}
				ev = append(ev, it)
			}
		}
		if start = out.LastEvaluatedKey; start == nil {
			break
		}
	}
	if !found {
		return req, nil, ErrNotFound
	}
	return req, ev, nil
}

// PromoteIfReady moves a submitted request on to review when every evidence file of its current
// round is clean (access.Request.Promote), asks the reviewers to review it, and returns its status.
//
// Exactly once, whichever file finishes last: every writer (the scan of each file, and the submit)
// first makes its own write, then calls this, which reads the request and its evidence with one
// strongly consistent Query. Whichever write comes last, its writer's read follows every other
// write, so it sees all files clean and the request scanning. Several writers may see that at
// once; the move is one transaction conditional on the request's version and on every file still
// being clean in this round, so exactly one of them wins, and the reviewers' emails are in that
// same transaction. A writer that loses to a change (a file added, a file replaced) reads again,
// and the writer of that change calls this in turn.
func (s *Store) PromoteIfReady(ctx context.Context, id access.RequestID, reviewers access.Reviewers) (access.Status, error) {
	r, err := s.change(ctx, id, "promote request", func(r access.Request, ev []evidenceItem, now time.Time, t *tx) (access.Request, []access.Event, error) {
		round := num(strconv.Itoa(r.Round))
		for _, e := range ev {
			if e.Evidence.Round == r.Round {
				t.check(evidenceKey(id, e.Evidence.ID), cond{expr: "#st = :clean AND #ev.Round = :round",
					names:  map[string]string{"#st": "Status", "#ev": "Evidence"},
					values: map[string]types.AttributeValue{":clean": str(string(access.Clean)), ":round": round}}, ErrConflict)
			}
		}
		return r.Promote(evidenceOf(ev), reviewers, now)
	})
	switch {
	case errors.Is(err, access.ErrNotReady), errors.Is(err, access.ErrIllegalMove):
		return r.Status, nil // not yet (the last file to finish comes back here), or not scanning any more
	case errors.Is(err, ErrConflict):
		req, _, err := s.partition(ctx, id) // still changing after every attempt: say where it is now
		return req.Status, err
	case err != nil:
		return "", err
	}
	return r.Status, nil
}

// AddEvidence adds files to the request's current round, and takes the refused files named in
// replace out of it (ReplacedRound), in one transaction. req is the request as the caller read it:
// ErrConflict when its status or round has changed since, or a file to replace is no longer a
// refused file of that round; nothing is written then.
func (s *Store) AddEvidence(ctx context.Context, req access.Request, add []access.Evidence, replace []access.EvidenceID) error {
	now := s.now().UTC()
	round := num(strconv.Itoa(req.Round))
	at := str(now.Format(time.RFC3339Nano))
	t := s.tx().update(requestKey(req.ID), "SET #r.UpdatedAt = :now ADD Version :one", cond{
		expr:   "#st = :st AND #r.Round = :round",
		names:  map[string]string{"#st": "Status", "#r": "Request"},
		values: map[string]types.AttributeValue{":now": at, ":one": num("1"), ":st": str(string(req.Status)), ":round": round},
	}, ErrConflict)
	for _, e := range add {
		item, err := marshalEvidence(e, req)
		if err != nil {
			return wrap("add evidence", err)
		}
		t.put(item, cond{expr: "attribute_not_exists(PK)"}, ErrConflict)
	}
	for _, id := range replace {
		t.update(evidenceKey(req.ID, id), "SET #ev.Round = :replaced, #ev.UpdatedAt = :now", cond{
			expr:  "#st IN (:rejected, :infected, :failed) AND #ev.Round = :round",
			names: map[string]string{"#st": "Status", "#ev": "Evidence"},
			values: map[string]types.AttributeValue{
				":replaced": num(strconv.Itoa(access.ReplacedRound)), ":now": at, ":round": round,
				":rejected": str(string(access.EvRejected)), ":infected": str(string(access.Infected)), ":failed": str(string(access.ScanFailed)),
			},
		}, ErrConflict)
	}
	return s.run(ctx, t, "add evidence")
}

// RecordRendition records the rendition of a clean evidence file, made from the object version
// the facts are about: ErrConflict when the evidence is no longer clean, or its facts are about
// another version by now (the replacement gets its own); ErrNotFound: no such evidence.
func (s *Store) RecordRendition(ctx context.Context, r access.RequestID, e access.EvidenceID, rd access.Rendition) error {
	av, err := attributevalue.Marshal(rd)
	if err != nil {
		return wrap("record rendition", err)
	}
	k := evidenceKey(r, e)
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      k.av(),
		UpdateExpression:         aws.String("SET #ev.Rendition = :r"),
		ConditionExpression:      aws.String("attribute_exists(PK) AND #st = :clean AND #scan.Version = :v AND #scan.SHA256 = :sha"),
		ExpressionAttributeNames: map[string]string{"#ev": "Evidence", "#st": "Status", "#scan": "Scan"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":r": av, ":clean": str(string(access.Clean)), ":v": str(rd.Version), ":sha": str(rd.SHA256),
		},
	})
	if conditionFailed(err) {
		if _, _, err := s.Evidence(ctx, r, e); err != nil {
			return err
		}
		return ErrConflict
	}
	return wrap("record rendition", err)
}
