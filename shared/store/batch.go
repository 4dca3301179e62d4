package store

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/batch"
	"github.com/council/cfp/shared/mail"
)

// A batch (BATCH#<system>/<batch>) is one item for the batch, in the sparse GSI1 partition
// BATCHOPEN by its deadline until it is reported, and one item per file or manifest row: FILE#<name>
// for a file (its arrival and its row meet there, whichever comes first) and LINE#<n> for a row kept
// by its line (a withdraw, a file listed again, a row naming no file). A row's outcome is written
// once (conditional), in the same transaction as a count of rows done, so that a repeated event
// counts nothing twice; the batch is complete when every row is done. A row settled on its own
// adds to the batch item's Done; a group of rows published together (PublishGroup) writes its own
// count item DONE#<first line> instead, so that groups written at once touch no common item (a
// hot counter makes concurrent transactions cancel each other). The batch's rows done are the
// batch item's Done and its DONE# items', read in one Query.

// Batch is what is known of a batch as a whole.
type Batch struct {
	ID       batch.ID
	Manifest string // the ETag of the manifest read ("" until one is)
	Refused  string // why the manifest as a whole was refused
	Rows     int    // rows in the manifest
	Done     int    // rows with an outcome
	Deadline time.Time
	Reported bool
}

// Complete reports whether every row of the batch has an outcome.
func (b Batch) Complete() bool { return b.Manifest != "" && b.Done >= b.Rows }

type batchItem struct {
	PK, SK   string
	GSI1PK   string `dynamodbav:",omitempty"`
	GSI1SK   string `dynamodbav:",omitempty"`
	Kind     string // "batch"
	System   string
	Name     string
	Manifest string `dynamodbav:",omitempty"`
	Refused  string `dynamodbav:",omitempty"`
	Rows     int
	Done     int
	Deadline string
	Reported bool `dynamodbav:",omitempty"`
}

func (it batchItem) batch() Batch {
	at, _ := time.Parse(stampLayout, it.Deadline)
	return Batch{ID: batch.ID{System: it.System, Name: it.Name}, Manifest: it.Manifest, Refused: it.Refused, Rows: it.Rows, Done: it.Done, Deadline: at, Reported: it.Reported}
}

type batchFileItem struct {
	PK, SK   string
	Kind     string // "batch-file"
	Name     string
	Row      *batch.Row `dynamodbav:",omitempty"`
	Arrived  bool
	ETag     string `dynamodbav:",omitempty"`
	Version  string `dynamodbav:",omitempty"`
	Size     int64
	PDF      bool
	Outcome  batch.Outcome `dynamodbav:",omitempty"`
	Reason   string        `dynamodbav:",omitempty"`
	Document string        `dynamodbav:",omitempty"`
}

func (it batchFileItem) file() batch.File {
	return batch.File{Name: it.Name, Row: it.Row, Arrived: it.Arrived, ETag: it.ETag, Version: it.Version, Size: it.Size, PDF: it.PDF, Outcome: it.Outcome, Reason: it.Reason, Document: it.Document}
}

// OpenBatch makes the batch's item if there is none, closing at deadline (a batch's time runs from
// its first object).
func (s *Store) OpenBatch(ctx context.Context, b batch.ID, deadline time.Time) error {
	k := batchKey(b)
	item, err := attributevalue.MarshalMap(batchItem{PK: k.PK, SK: k.SK, GSI1PK: openBatches, GSI1SK: stamp(deadline) + "#" + b.String(),
		Kind: "batch", System: b.System, Name: b.Name, Deadline: stamp(deadline)})
	if err != nil {
		return wrap("open batch", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)")})
	if conditionFailed(err) {
		return nil
	}
	return wrap("open batch", err)
}

// Batch returns a batch, read consistently, its rows done counted with its groups'; ErrNotFound
// when there is none. One Query: BATCH, then DONE#..., sort before the batch's FILE# and LINE# items.
func (s *Store) Batch(ctx context.Context, b batch.ID) (Batch, error) {
	res, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("PK = :pk AND SK BETWEEN :batch AND :done"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(batchPK(b)), ":batch": str(batchKey(b).SK), ":done": str(batchDonePre + "~"),
		},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Batch{}, wrap("batch", err)
	}
	var it batchItem
	for i, item := range res.Items {
		var part batchItem
		if err := attributevalue.UnmarshalMap(item, &part); err != nil {
			return Batch{}, wrap("batch", err)
		}
		if i == 0 {
			it = part
		} else {
			it.Done += part.Done
		}
	}
	if len(res.Items) == 0 || it.Kind != "batch" {
		return Batch{}, ErrNotFound
	}
	return it.batch(), nil
}

// ManifestRead records the batch's manifest (by its ETag) and its number of rows, or why it was
// refused as a whole. The same manifest again changes nothing; ErrConflict: the batch already has
// another manifest, or is reported.
func (s *Store) ManifestRead(ctx context.Context, b batch.ID, etag string, rows int, refused string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      batchKey(b).av(),
		UpdateExpression:         aws.String("SET Manifest = :m, #rows = :n, Refused = :r"),
		ConditionExpression:      aws.String("attribute_exists(PK) AND attribute_not_exists(Reported) AND (attribute_not_exists(Manifest) OR Manifest = :m)"),
		ExpressionAttributeNames: map[string]string{"#rows": "Rows"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":m": str(etag), ":n": num(strconv.Itoa(rows)), ":r": str(refused),
		},
	})
	if conditionFailed(err) {
		return ErrConflict
	}
	return wrap("manifest read", err)
}

// FileArrived records that a file of the batch is there (as its event says: which version, its
// size) and returns all that is known of it, its row too if the manifest listed it already. A file
// that already has an outcome is left as it is and returned so.
func (s *Store) FileArrived(ctx context.Context, b batch.ID, f batch.File) (batch.File, error) {
	return s.batchFileUpdate(ctx, batchFileKey(b, batch.File{Name: f.Name}),
		"SET #name = :name, Arrived = :t, ETag = :e, #ver = :v, #size = :z, Kind = :kind", map[string]types.AttributeValue{
			":name": str(f.Name), ":t": &types.AttributeValueMemberBOOL{Value: true}, ":e": str(f.ETag), ":v": str(f.Version),
			":z": num(strconv.FormatInt(f.Size, 10)),
		}, "file arrived")
}

// RowListed records a manifest's row of a file (the first listing stands) and returns all that is
// known of the file: whether it has arrived too.
func (s *Store) RowListed(ctx context.Context, b batch.ID, r batch.Row) (batch.File, error) {
	row, err := attributevalue.Marshal(r)
	if err != nil {
		return batch.File{}, wrap("row listed", err)
	}
	return s.batchFileUpdate(ctx, batchFileKey(b, batch.File{Row: &r}),
		"SET #name = :name, #row = if_not_exists(#row, :row), Kind = :kind", map[string]types.AttributeValue{
			":name": str(r.File), ":row": row,
		}, "row listed")
}

func (s *Store) batchFileUpdate(ctx context.Context, k key, set string, values map[string]types.AttributeValue, op string) (batch.File, error) {
	values[":kind"] = str("batch-file")
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: k.av(), UpdateExpression: aws.String(set),
		ConditionExpression:       aws.String("attribute_not_exists(Outcome)"),
		ExpressionAttributeNames:  names(set),
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
		// A file with an outcome comes back in the refusal: no second read.
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) && failed.Item != nil {
		var it batchFileItem
		err = attributevalue.UnmarshalMap(failed.Item, &it)
		return it.file(), wrap(op, err)
	}
	if conditionFailed(err) {
		it, err := get[batchFileItem](ctx, s, k, op)
		return it.file(), err
	}
	if err != nil {
		return batch.File{}, wrap(op, err)
	}
	var it batchFileItem
	err = attributevalue.UnmarshalMap(out.Attributes, &it)
	return it.file(), wrap(op, err)
}

// names are the reserved words among a batch file's attributes that expr uses.
func names(expr string) map[string]string {
	out := map[string]string{}
	for n, attr := range map[string]string{"#name": "Name", "#size": "Size", "#row": "Row", "#ver": "Version"} {
		if strings.Contains(expr, n) {
			out[n] = attr
		}
	}
	return out
}

// outcome writes f's outcome in t, once (ErrConflict when it has one), and counts its row done on
// the batch's item.
func (t *tx) outcome(b batch.ID, f batch.File) *tx {
	t.rowOutcome(b, f)
	if f.Row != nil { // an unlisted file is no row of the manifest
		t.update(batchKey(b), "ADD Done :one", cond{values: map[string]types.AttributeValue{":one": num("1")}}, ErrConflict)
	}
	return t
}

// rowOutcome writes f's outcome in t, once (ErrConflict when it has one), counting nothing.
func (t *tx) rowOutcome(b batch.ID, f batch.File) *tx {
	values := map[string]types.AttributeValue{":o": str(string(f.Outcome)), ":why": str(f.Reason), ":d": str(f.Document), ":kind": str("batch-file")}
	set := "SET Outcome = :o, Reason = :why, #doc = :d, Kind = :kind"
	names := map[string]string{"#doc": "Document"}
	if f.Arrived && f.Name != "" { // what was read of the file, which its own event may not have said yet
		set += ", #name = :name, Arrived = :t, ETag = :e, #ver = :v, #size = :z, PDF = :pdf"
		names["#name"], names["#ver"], names["#size"] = "Name", "Version", "Size"
		values[":name"], values[":t"], values[":e"], values[":v"] = str(f.Name), &types.AttributeValueMemberBOOL{Value: true}, str(f.ETag), str(f.Version)
		values[":z"], values[":pdf"] = num(strconv.FormatInt(f.Size, 10)), &types.AttributeValueMemberBOOL{Value: f.PDF}
	}
	if f.Row != nil {
		row, err := attributevalue.Marshal(*f.Row)
		if err != nil {
			panic("store: a batch row does not marshal: " + err.Error()) // static types; cannot fail
		}
		values[":row"], names["#row"] = row, "Row"
		set += ", #row = if_not_exists(#row, :row)"
	}
	return t.update(batchFileKey(b, f), set, cond{expr: "attribute_not_exists(Outcome)", names: names, values: values}, ErrConflict)
}

// RowSettled records a row's outcome that publishes nothing (a refusal, a missing file) and
// counts it done. ErrConflict: it has an outcome already.
func (s *Store) RowSettled(ctx context.Context, b batch.ID, f batch.File) error {
	return s.run(ctx, s.tx().outcome(b, f), "row settled")
}

// ErrNotCurrent: the document to hide is already replaced or withdrawn (or there is none).
var ErrNotCurrent = errors.New("store: the document is not current")

// Correction is a document a row hides: replaced by the row's new document, or withdrawn.
type Correction struct {
	Document DocumentID
	Client   string
	How      string // "replaced" or "withdrawn"
	By       DocumentID
	Detail   string // for the audit trail: the batch and line
}

// hide hides a current document in t and writes the audit event that says so.
func (t *tx) hide(c Correction, now time.Time) *tx {
	// Out of the client's lists, into the client's hidden documents (the staff client page's only).
	t.update(documentKey(c.Document), "SET #d.#h = :how, #d.HiddenAt = :at, #d.ReplacedBy = :by, GSI1PK = :hidden REMOVE GSI2PK, GSI2SK", cond{
		expr:  "GSI1PK = :current AND #d.ClientReference = :ref",
		names: map[string]string{"#d": "Document", "#h": "Hidden"},
		values: map[string]types.AttributeValue{":how": str(c.How), ":at": str(now.UTC().Format(time.RFC3339Nano)), ":by": str(string(c.By)), ":ref": str(c.Client),
			":current": str(clientPK(c.Client)), ":hidden": str(hiddenDocsPK(c.Client))},
	}, ErrNotCurrent)
	action := AuditWithdrawDocument
	if c.How == string(batch.Replaced) {
		action = AuditReplaceDocument
	}
	e := AuditEvent{ID: access.NewID("a"), At: now.UTC(), Action: action, ClientReference: c.Client, DocumentID: c.Document, Detail: c.Detail}
	return t.put(auditItemOf(e), cond{expr: "attribute_not_exists(PK)"}, ErrConflict)
}

// PublishFromBatch publishes a batch's file: in one transaction the document, the row's outcome
// and, for a replace, the old document hidden (audited). It adds to no notice: the batch's report
// tells the grantees. ErrConflict: the document or the row's outcome is there already;
// ErrNotCurrent: the document to replace is not current any more (nothing written).
func (s *Store) PublishFromBatch(ctx context.Context, b batch.ID, f batch.File, d Document, replaces *Correction) error {
	t := s.tx().outcome(b, f)
	if replaces != nil {
		t.hide(*replaces, s.now())
	}
	if err := t.document(d); err != nil {
		return wrap("publish from batch", err)
	}
	return s.run(ctx, t, "publish from batch")
}

// Publication is a batch's file and the document it becomes.
type Publication struct {
	File     batch.File
	Document Document
}

// MaxGroup is the most publications one PublishGroup takes: two items each and the group's
// count, in one transaction.
const MaxGroup = (maxTransactItems - 1) / 2

// PublishGroup publishes several files of a batch (plain publish rows, at most MaxGroup) in one
// transaction: each document and its row's outcome, and the group's count of rows done
// (DONE#<first line>). All or nothing: ErrConflict when any of them is published or has an
// outcome already (a repeat), when the caller publishes them one by one.
func (s *Store) PublishGroup(ctx context.Context, b batch.ID, pubs []Publication) error {
	if len(pubs) == 0 || len(pubs) > MaxGroup {
		return wrap("publish group", fmt.Errorf("%d publications (1 to %d)", len(pubs), MaxGroup))
	}
	t, first := s.tx(), pubs[0].File.Row.Line
	for _, p := range pubs {
		// The file's whole item, as its outcome makes it: a put is a smaller request than the
		// update that would say the same.
		f := p.File
		k := batchFileKey(b, f)
		item, err := attributevalue.MarshalMap(batchFileItem{PK: k.PK, SK: k.SK, Kind: "batch-file", Name: f.Name, Row: f.Row, Arrived: f.Arrived,
			ETag: f.ETag, Version: f.Version, Size: f.Size, PDF: f.PDF, Outcome: f.Outcome, Reason: f.Reason, Document: f.Document})
		if err != nil {
			return wrap("publish group", err)
		}
		t.put(item, cond{expr: "attribute_not_exists(Outcome)"}, ErrConflict)
		if err := t.document(p.Document); err != nil {
			return wrap("publish group", err)
		}
		first = min(first, f.Row.Line)
	}
	t.put(map[string]types.AttributeValue{
		"PK": str(batchPK(b)), "SK": str(fmt.Sprintf("%s%06d", batchDonePre, first)), "Kind": str("batch-done"), "Done": num(strconv.Itoa(len(pubs))),
	}, cond{expr: "attribute_not_exists(PK)"}, ErrConflict)
	return s.run(ctx, t, "publish group")
}

// BatchNoticeMailID is the id of the one new-documents email a batch's report sends a grantee:
// the same batch reported twice queues it once.
func BatchNoticeMailID(b batch.ID, e access.Email) MailID {
	sum := sha256.Sum256([]byte("batch\x00" + b.String() + "\x00" + string(e)))
	return MailID("b" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15])))
}

// Withdraw hides a document for a batch's row and records the row's outcome, in one transaction
// (audited). ErrNotCurrent: the document is not current; ErrConflict: the row has an outcome.
func (s *Store) Withdraw(ctx context.Context, b batch.ID, f batch.File, c Correction) error {
	return s.run(ctx, s.tx().outcome(b, f).hide(c, s.now()), "withdraw")
}

// BatchFile returns what is known of one file of a batch; ErrNotFound when nothing is.
func (s *Store) BatchFile(ctx context.Context, b batch.ID, name string) (batch.File, error) {
	it, err := get[batchFileItem](ctx, s, batchFileKey(b, batch.File{Name: name}), "batch file")
	return it.file(), err
}

// BatchFiles returns every file and row of a batch (one Query, paged).
func (s *Store) BatchFiles(ctx context.Context, b batch.ID) ([]batch.File, error) {
	var out []batch.File
	var start map[string]types.AttributeValue
	for {
		res, err := s.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 &s.table,
			KeyConditionExpression:    aws.String("PK = :pk AND SK > :after"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(batchPK(b)), ":after": str(batchDonePre + "~")}, // FILE# and LINE# sort after BATCH and DONE#
			ExclusiveStartKey:         start,
			ConsistentRead:            aws.Bool(true),
		})
		if err != nil {
			return nil, wrap("batch files", err)
		}
		var items []batchFileItem
		if err := attributevalue.UnmarshalListOfMaps(res.Items, &items); err != nil {
			return nil, wrap("batch files", err)
		}
		for _, it := range items {
			out = append(out, it.file())
		}
		if start = res.LastEvaluatedKey; start == nil {
			return out, nil
		}
	}
}

// ClaimReport lets one caller at a time make the batch's report, for lease: files published at
// the same moment can each find the batch complete, and a report reads every row, queues an email
// a grantee and writes the CSV. The claim also moves the batch's place among the open batches to
// the lease's end, so that the schedule (DueBatches) reports it if the claimant stops.
// ErrConflict: it is reported, or another's claim is live.
func (s *Store) ClaimReport(ctx context.Context, b batch.ID, lease time.Duration) error {
	now := s.now()
	until := stamp(now.Add(lease))
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           &s.table,
		Key:                 batchKey(b).av(),
		UpdateExpression:    aws.String("SET ReportBy = :until, GSI1PK = :open, GSI1SK = :sk"),
		ConditionExpression: aws.String("attribute_exists(PK) AND attribute_not_exists(Reported) AND (attribute_not_exists(ReportBy) OR ReportBy < :now)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":until": str(until), ":open": str(openBatches), ":sk": str(until + "#" + b.String()), ":now": str(stamp(now)),
		},
	})
	if conditionFailed(err) {
		return ErrConflict
	}
	return wrap("claim report", err)
}

// BatchReported marks the batch reported, takes it out of the open batches and queues its
// summary emails, in one transaction. ErrConflict: it was reported already (nothing queued).
func (s *Store) BatchReported(ctx context.Context, b batch.ID, summaries []mail.Message) error {
	now := s.now()
	t := s.tx().update(batchKey(b), "SET Reported = :t REMOVE GSI1PK, GSI1SK", cond{
		expr: "attribute_exists(PK) AND attribute_not_exists(Reported)", values: map[string]types.AttributeValue{":t": &types.AttributeValueMemberBOOL{Value: true}},
	}, ErrConflict)
	for _, m := range summaries {
		t.mail(m, now)
	}
	return s.run(ctx, t, "batch reported")
}

// DueBatches returns up to limit open batches whose deadline has passed, oldest first (one Query
// on GSI1).
func (s *Store) DueBatches(ctx context.Context, limit int) ([]batch.ID, error) {
	res, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              &s.table,
		IndexName:              aws.String(gsi1.name),
		KeyConditionExpression: aws.String("GSI1PK = :q AND GSI1SK <= :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":q": str(openBatches), ":now": str(stamp(s.now()) + "~"),
		},
		Limit: aws.Int32(int32(max(limit, 1))),
	})
	if err != nil {
		return nil, wrap("due batches", err)
	}
	var items []batchItem
	if err := attributevalue.UnmarshalListOfMaps(res.Items, &items); err != nil {
		return nil, wrap("due batches", err)
	}
	out := make([]batch.ID, len(items))
	for i, it := range items {
		out[i] = batch.ID{System: it.System, Name: it.Name}
	}
	return out, nil
}
