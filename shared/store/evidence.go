package store

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
)

// Evidence scanning. Each evidence item keeps the facts learnt about its object (attribute Scan,
// versioned by ScanVersion): the content checks and the malware verdict, each bound to the object
// version (S3 ETag) it is about. The evidence status is a function of the facts, not of the order
// they arrived in, so duplicated and out-of-order S3 events end in the same state:
//
//	infected      the verdict is THREATS_FOUND (whatever the checks said)
//	rejected      the checks refused the file, or a second, different object was uploaded to the same key
//	scanning      checks or verdict still to come
//	clean         checks passed and the verdict is NO_THREATS_FOUND
//	scan_failed   checks passed and the verdict is anything else, or there was none
//
// A fact once recorded is kept (a duplicate changes nothing; a later verdict only ever escalates
// to infected), so a final status is never overwritten by an earlier-stage event. Writes are
// conditional on ScanVersion: two events racing on one item cannot lose each other's facts.

// ReplacedRound is the Round of a refused evidence file that a later upload replaced: it belongs
// to no round any more, so it neither blocks a submit nor the move to review, and stays on the
// request as a record (with its reason, hash and verdict).
const ReplacedRound = -1

// ReviewLinkTTL is how long a reviewer's link works unless the deployment sets REVIEW_LINK_DAYS.
const ReviewLinkTTL = 7 * 24 * time.Hour

// Check is the outcome of the content checks of one version of an evidence object.
type Check struct {
	ETag    string // the object version checked
	SHA256  string
	Problem string // why the file is refused, for the person who sent it; "" when it passed
}

// Verdict is the malware scanner's verdict on one version of an evidence object.
type Verdict struct {
	ETag    string
	Outcome access.EvidenceStatus // access.Clean, access.Infected or access.ScanFailed
	Value   string                // the tag's value as the scanner wrote it ("" when there was none)
	Reason  string                // for the person who sent the file, when not clean
}

// Scan is what is known about an evidence's object.
type Scan struct {
	ETag          string // the object version the facts are about
	Checked       bool
	Problem       string
	SHA256        string
	Outcome       access.EvidenceStatus // of the malware verdict; "" until it is in
	Verdict       string
	VerdictReason string
	Replaced      bool // a different object was uploaded to the same key after the first
}

const replacedReason = "A second, different file was uploaded in place of the first. Please upload the file again as a new upload."

// Status is the evidence status the facts add up to.
func (f Scan) Status() access.EvidenceStatus {
	switch {
	case f.Outcome == access.Infected:
		return access.Infected
	case f.Replaced, f.Checked && f.Problem != "":
		return access.EvRejected
	case !f.Checked || f.Outcome == "":
		return access.EvScanning
	}
	return f.Outcome
}

// Reason says why the file is not accepted, "" when it is (or may yet be).
func (f Scan) Reason() string {
	switch f.Status() {
	case access.Infected, access.ScanFailed:
		return f.VerdictReason
	case access.EvRejected:
		if f.Checked && f.Problem != "" {
			return f.Problem
		}
		return replacedReason
	}
	return ""
}

// Remove reports whether the object should now be deleted from the bucket: it is refused, and
// nothing can change that any more. A refused file waits for its malware verdict (or the key's
// replacement), so that an infected file ends as infected however the events are ordered.
func (f Scan) Remove() bool {
	st := f.Status()
	return (st == access.EvRejected || st == access.Infected) && (f.Outcome != "" || f.Replaced)
}

// adopt binds the facts to an object version; a different version marks the key replaced.
func (f *Scan) adopt(etag string) bool {
	switch f.ETag {
	case "":
		f.ETag = etag
	case etag:
	default:
		f.Replaced = true
		return false
	}
	return true
}

func (f *Scan) addCheck(c Check) {
	if f.adopt(c.ETag) && !f.Checked {
		f.Checked, f.Problem, f.SHA256 = true, c.Problem, c.SHA256
	}
}

func (f *Scan) addVerdict(v Verdict) {
	if f.adopt(v.ETag) && (f.Outcome == "" || v.Outcome == access.Infected && f.Outcome != access.Infected) {
		f.Outcome, f.Verdict, f.VerdictReason = v.Outcome, v.Value, v.Reason
	}
}

// refused statuses need a new upload: the requester is told once, when the file first becomes one.
func refused(st access.EvidenceStatus) bool {
	return st == access.EvRejected || st == access.Infected || st == access.ScanFailed
}

type scannedItem struct {
	Evidence    access.Evidence
	Scan        Scan
	ScanVersion int
}

// Evidence returns one evidence item and what is known about its object (read consistently).
func (s *Store) Evidence(ctx context.Context, r access.RequestID, e access.EvidenceID) (access.Evidence, Scan, error) {
	it, err := s.scanned(ctx, r, e)
	return it.Evidence, it.Scan, err
}

func (s *Store) scanned(ctx context.Context, r access.RequestID, e access.EvidenceID) (scannedItem, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: evidenceKey(r, e).av(), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return scannedItem{}, wrap("evidence", err)
	}
	if out.Item == nil {
		return scannedItem{}, ErrNotFound
	}
	var it scannedItem
	return it, wrap("evidence", attributevalue.UnmarshalMap(out.Item, &it))
}

// RecordCheck records the content checks of an evidence object and returns the evidence as it now
// is. ErrNotFound: no such evidence.
func (s *Store) RecordCheck(ctx context.Context, r access.RequestID, e access.EvidenceID, c Check) (access.Evidence, Scan, error) {
	return s.record(ctx, r, e, func(f *Scan) { f.addCheck(c) })
}

// RecordVerdict records the malware verdict on an evidence object and returns the evidence as it
// now is. ErrNotFound: no such evidence.
func (s *Store) RecordVerdict(ctx context.Context, r access.RequestID, e access.EvidenceID, v Verdict) (access.Evidence, Scan, error) {
	return s.record(ctx, r, e, func(f *Scan) { f.addVerdict(v) })
}

// record applies a fact with optimistic concurrency: read, apply, write if nobody wrote in between,
// else read again. When the file becomes refused, the email asking the requester for a new upload
// is queued in the same write.
func (s *Store) record(ctx context.Context, r access.RequestID, e access.EvidenceID, apply func(*Scan)) (access.Evidence, Scan, error) {
	for attempt := 0; attempt < 8; attempt++ {
		it, err := s.scanned(ctx, r, e)
		if err != nil {
			return access.Evidence{}, Scan{}, err
		}
		facts := it.Scan
		apply(&facts)
		if facts == it.Scan && it.ScanVersion > 0 {
			return it.Evidence, facts, nil // a duplicate: nothing new
		}
		now := s.now().UTC()
		ev := it.Evidence
		ev.Status, ev.Reason, ev.SHA256, ev.Verdict, ev.UpdatedAt = facts.Status(), facts.Reason(), facts.SHA256, facts.Verdict, now
		if ev.UploadedAt.IsZero() {
			ev.UploadedAt = now
		}
		items, err := s.recordWrite(ctx, it, ev, facts, now)
		if err != nil {
			return access.Evidence{}, Scan{}, err
		}
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if retryable(err) {
			continue // another event wrote first: apply this fact to what it wrote
		}
		if err != nil {
			return access.Evidence{}, Scan{}, wrap("record scan", err)
		}
		return ev, facts, nil
	}
	return access.Evidence{}, Scan{}, ErrConflict
}

func (s *Store) recordWrite(ctx context.Context, it scannedItem, ev access.Evidence, facts Scan, now time.Time) ([]types.TransactWriteItem, error) {
	scanAV, err := attributevalue.Marshal(facts)
	if err != nil {
		return nil, wrap("record scan", err)
	}
	cond := "ScanVersion = :seen"
	if it.ScanVersion == 0 {
		cond = "attribute_exists(PK) AND attribute_not_exists(ScanVersion)"
	}
	stamp := func(t time.Time) types.AttributeValue { return str(t.Format(time.RFC3339Nano)) }
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName: &s.table,
		Key:       evidenceKey(ev.RequestID, ev.ID).av(),
		UpdateExpression: aws.String("SET #st = :st, #ev.#st = :st, #ev.Reason = :reason, #ev.SHA256 = :sha, #ev.Verdict = :verdict, " +
			"#ev.UpdatedAt = :now, #ev.UploadedAt = :up, #scan = :scan ADD ScanVersion :one"),
		ConditionExpression:      aws.String(cond),
		ExpressionAttributeNames: map[string]string{"#st": "Status", "#ev": "Evidence", "#scan": "Scan"}, // SCAN is a reserved word
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":st": str(string(ev.Status)), ":reason": str(ev.Reason), ":sha": str(ev.SHA256), ":verdict": str(ev.Verdict),
			":now": stamp(now), ":up": stamp(ev.UploadedAt), ":scan": scanAV, ":one": num("1"),
			":seen": num(strconv.Itoa(it.ScanVersion)),
		},
	}}}
	if it.ScanVersion == 0 {
		delete(items[0].Update.ExpressionAttributeValues, ":seen")
	}
	if refused(ev.Status) && !refused(it.Evidence.Status) {
		req, _, err := s.partition(ctx, ev.RequestID)
		if err != nil {
			return nil, err
		}
		m := mail.New(req.Request.Requester.Email, mail.UploadProblem, map[string]string{
			"FileName": ev.File.FileName, "Reference": string(ev.RequestID), "Reason": ev.Reason,
		})
		items = append(items, s.mailPut(m, now))
	}
	return items, nil
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
			case sk.Value == "REQ":
				if err := attributevalue.UnmarshalMap(item, &req); err != nil {
					return req, nil, wrap("request", err)
				}
				found = true
			case len(sk.Value) > len(evidencePre) && sk.Value[:len(evidencePre)] == evidencePre:
				var it evidenceItem
				if err := attributevalue.UnmarshalMap(item, &it); err != nil {
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

var relationshipNames = map[access.Relationship]string{
	access.Self:        "the client themselves",
	access.AttorneyLPA: "attorney (property and financial affairs LPA)",
	access.AttorneyEPA: "attorney (registered EPA)",
	access.Deputy:      "deputy (Court of Protection, property and affairs)",
	access.Appointee:   "DWP appointee",
}

// PromoteIfReady moves a submitted request on to review when every evidence file of its current
// round is clean (vacuously so for a request with no files), and returns its status.
//
// Exactly once, whichever file finishes last: every writer (the scan of each file, and the submit)
// first makes its own write, then calls this, which reads the request and its evidence with one
// strongly consistent Query. Whichever write comes last, its writer's read follows every other
// write, so it sees all files clean and the request scanning. Several writers may see that at
// once; the move is one transaction conditional on the request's status and version and on every
// file still being clean in this round, so exactly one of them wins, and the reviewers' emails
// are in that same transaction. A writer that loses to a change (a file added, a file replaced)
// reads again, and the writer of that change calls this in turn.
func (s *Store) PromoteIfReady(ctx context.Context, id access.RequestID, reviewers []access.Email) (access.Status, error) {
	for attempt := 0; attempt < 4; attempt++ {
		req, ev, err := s.partition(ctx, id)
		if err != nil {
			return "", err
		}
		if req.Status != access.Scanning {
			return req.Status, nil
		}
		now := s.now().UTC()
		round := strconv.Itoa(req.Request.Round)
		items := []types.TransactWriteItem{{Update: &types.Update{
			TableName: &s.table,
			Key:       requestKey(id).av(),
			UpdateExpression: aws.String("SET #st = :ready, #r.#st = :ready, #r.UpdatedAt = :now, GSI1PK = :queue, GSI1SK = :sk " +
				"ADD Version :one"),
			ConditionExpression:      aws.String("#st = :scanning AND Version = :v"),
			ExpressionAttributeNames: map[string]string{"#st": "Status", "#r": "Request"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":ready": str(string(access.ReadyForReview)), ":scanning": str(string(access.Scanning)),
				":now": str(now.Format(time.RFC3339Nano)), ":queue": str(reviewQueue), ":sk": str(stamp(now) + "#" + string(id)),
				":one": num("1"), ":v": num(strconv.Itoa(req.Version)),
			},
		}}}
		for _, e := range ev {
			if e.Evidence.Round != req.Request.Round {
				continue
			}
			if e.Status != access.Clean {
				return access.Scanning, nil // not yet: the last file to finish will come back here
			}
			items = append(items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
				TableName:                &s.table,
				Key:                      evidenceKey(id, e.Evidence.ID).av(),
				ConditionExpression:      aws.String("#st = :clean AND #ev.Round = :round"),
				ExpressionAttributeNames: map[string]string{"#st": "Status", "#ev": "Evidence"},
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":clean": str(string(access.Clean)), ":round": num(round),
				},
			}})
		}
		data := map[string]string{"Reference": string(id), "Relationship": relationshipNames[req.Request.Relationship], "Days": strconv.Itoa(int(s.reviewLinks.Hours() / 24))}
		for _, to := range reviewers {
			m := mail.New(to, mail.ReadyForReview, data).WithLink(mail.Review, string(id), s.reviewLinks)
			items = append(items, s.mailPut(m, now))
		}
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if retryable(err) {
			continue // something changed since the read: look again
		}
		if err != nil {
			return "", wrap("promote request", err)
		}
		return access.ReadyForReview, nil
	}
	req, _, err := s.partition(ctx, id)
	return req.Status, err
}

// retryable reports whether a transaction failed because something changed since it was read (a
// condition), or was being changed at that moment by another transaction (DynamoDB cancels one of
// two transactions on the same item): reading again and retrying is the answer to both.
func retryable(err error) bool {
	reasons := cancelReasons(err)
	return containsCode(reasons, "ConditionalCheckFailed") || containsCode(reasons, "TransactionConflict")
}

func containsCode(codes []string, code string) bool {
	for _, c := range codes {
		if c == code {
			return true
		}
	}
	return false
}

// AddEvidence adds files to the request's current round, and takes the refused files named in
// replace out of it (ReplacedRound), in one transaction. req is the request as the caller read it:
// ErrConflict when its status or round has changed since, or a file to replace is no longer a
// refused file of that round; nothing is written then.
func (s *Store) AddEvidence(ctx context.Context, req access.Request, add []access.Evidence, replace []access.EvidenceID) error {
	now := s.now().UTC()
	round := num(strconv.Itoa(req.Round))
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName:                &s.table,
		Key:                      requestKey(req.ID).av(),
		UpdateExpression:         aws.String("SET #r.UpdatedAt = :now ADD Version :one"),
		ConditionExpression:      aws.String("#st = :st AND #r.Round = :round"),
		ExpressionAttributeNames: map[string]string{"#st": "Status", "#r": "Request"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": str(now.Format(time.RFC3339Nano)), ":one": num("1"), ":st": str(string(req.Status)), ":round": round,
		},
	}}}
	for _, e := range add {
		item, err := marshalEvidence(e)
		if err != nil {
			return wrap("add evidence", err)
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	}
	for _, id := range replace {
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName:                &s.table,
			Key:                      evidenceKey(req.ID, id).av(),
			UpdateExpression:         aws.String("SET #ev.Round = :replaced, #ev.UpdatedAt = :now"),
			ConditionExpression:      aws.String("#st IN (:rejected, :infected, :failed) AND #ev.Round = :round"),
			ExpressionAttributeNames: map[string]string{"#st": "Status", "#ev": "Evidence"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":replaced": num(strconv.Itoa(ReplacedRound)), ":now": str(now.Format(time.RFC3339Nano)), ":round": round,
				":rejected": str(string(access.EvRejected)), ":infected": str(string(access.Infected)), ":failed": str(string(access.ScanFailed)),
			},
		}})
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if retryable(err) {
		return ErrConflict
	}
	return wrap("add evidence", err)
}

// IsRefused reports whether an evidence status needs a new upload (rejected, infected, scan_failed).
func IsRefused(st access.EvidenceStatus) bool { return refused(st) }
