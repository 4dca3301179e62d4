package store

import (
	"encoding/base64"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/batch"
)

// Every key the table holds is made here (the table of entities and keys is in doc.go). Each
// entity has its own constructor taking its own identifier type, so a request id cannot be used
// where a document id is meant: mixed-up keys fail to compile.

// key is a primary key.
type key struct{ PK, SK string }

func (k key) av() map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"PK": str(k.PK), "SK": str(k.SK)}
}

func requestKey(id access.RequestID) key { return key{"REQ#" + string(id), "REQ"} }

// referenceKey is under REQ# so the functions that write and read requests need no other key: a
// reference (CFP-...) is never a request id (lower case).
func referenceKey(ref access.Reference) key { return key{"REQ#REF#" + string(ref), "REF"} }
func evidenceKey(r access.RequestID, e access.EvidenceID) key {
	return key{"REQ#" + string(r), evidencePre + string(e)}
}
func accountKey(e access.Email) key { return key{"ACCOUNT#" + string(e), "ACCOUNT"} }
func codeKey(e access.Email, browser string) key {
	return key{"ACCOUNT#" + string(e), "CODE#" + browser}
}
func sessionKey(hash string) key { return key{"SESSION#" + hash, "SESSION"} }
func passkeyKey(e access.Email, id PasskeyID) key {
	return key{"ACCOUNT#" + string(e), passkeyPre + string(id)}
}
func passkeysKey(e access.Email) key { return key{"ACCOUNT#" + string(e), "PASSKEYS"} }

// handleKey and ceremonyKey hold base64url and hex values: neither can be confused with the other.
func handleKey(handle []byte) key {
	return key{"PASSKEY#USER#" + base64.RawURLEncoding.EncodeToString(handle), "USER"}
}
func ceremonyKey(challengeHash string) key {
	return key{"PASSKEY#CEREMONY#" + challengeHash, "CEREMONY"}
}
func staffSessionKey(hash string) key       { return key{"STAFF#" + hash, "SESSION"} }
func staffSignInKey(hash string) key        { return key{"STAFF#" + hash, "SIGNIN"} }
func mailKey(id MailID) key                 { return key{"MAIL#" + string(id), "MAIL"} }
func tokenKey(hash string) key              { return key{"TOKEN#" + hash, "TOKEN"} }
func onceKey(hash string) key               { return key{"ONCE#" + hash, "ONCE"} }
func rateKey(kind, hash, window string) key { return key{"RATE#" + kind + "#" + hash, window} }
func noticeKey(e access.Email) key          { return key{"NOTICE#" + string(e), "NOTICE"} }
func documentKey(id DocumentID) key         { return key{docPrefix + string(id), "DOC"} }
func suppressKey(e access.Email) key        { return key{"SUPPRESS#" + string(e), "SUPPRESS"} }
func requesterKey(e access.Email, at time.Time, id access.RequestID) key {
	return key{requesterPK(e), "REQ#" + stamp(at) + "#" + string(id)}
}
func requesterPK(e access.Email) string { return "REQUESTER#" + string(e) }
func batchKey(b batch.ID) key           { return key{batchPK(b), "BATCH"} }
func batchPK(b batch.ID) string         { return "BATCH#" + b.System + "/" + b.Name }
func batchFileKey(b batch.ID, f batch.File) key {
	if name := f.Named(); name != "" {
		return key{batchPK(b), batchFilePre + name}
	}
	return key{batchPK(b), fmt.Sprintf("%s%06d", batchLinePre, f.Row.Line)}
}
func auditKey(ref string, at time.Time, id string) key {
	if ref == "" {
		return key{"AUDIT#EVENT#" + id, auditSK(at, id)}
	}
	return key{auditClientPK(ref), auditSK(at, id)}
}

// index is a global secondary index and its key attributes (see Schema).
type index struct{ name, pk, sk string }

var (
	gsi1 = index{"GSI1", "GSI1PK", "GSI1SK"}
	gsi2 = index{"GSI2", "GSI2PK", "GSI2SK"}
)

// Index partition values and sort key prefixes.
const (
	reviewQueue    = "REVIEW" // GSI1PK of requests awaiting review
	outbox         = "OUTBOX" // GSI1PK of queued emails
	noticeQueue    = "NOTICE" // GSI1PK of pending notices
	evidencePre    = "EVID#"
	docPrefix      = "DOC#"
	grantPre       = "GRANT#"
	openRequestPre = "REQ#" // GSI2SK prefix of a client's requests not yet decided (beside its grants)
	clientPre      = "CLIENT#"
	openBatches    = "BATCHOPEN" // GSI1PK of batches not yet reported
	batchFilePre   = "FILE#"
	batchLinePre   = "LINE#"
	batchDonePre   = "DONE#"    // a group's count of rows done: sorts between the batch's item and its files
	waiting        = "WAITING#" // GSI1PK prefix of requests awaiting the requester (more information, upload) or their checks
	purgeQueue     = "PURGE"    // GSI1PK of expired requests whose files and links are still to be deleted
	passkeyPre     = "PASSKEY#"
	tokensPre      = "TOKENS#" // GSI2PK prefix of the link tokens issued for a request
)

func reviewSK(at time.Time, id access.RequestID) string { return stamp(at) + "#" + string(id) }

// queuePK is the GSI1 partition of the staff queue a request in status s is in ("" for none). A
// request being checked (scanning) has a partition too, which the staff queue does not show: it is
// how one stuck there is found to expire (access.ExpiringStatuses).
func queuePK(s access.Status) string {
	switch s {
	case access.ReadyForReview:
		return reviewQueue
	case access.MoreInfoRequested, access.AwaitingEvidence, access.Scanning:
		return waiting + string(s)
	}
	return ""
}

// requestTokensPK is the GSI2 partition of the link tokens issued for a request, so that they can
// be deleted with it (a token's own key is its hash, which nothing leads to from the request).
func requestTokensPK(id access.RequestID) string { return tokensPre + string(id) }
func personPK(e access.Email) string             { return "PERSON#" + string(e) }
func clientPK(ref string) string                 { return clientPre + ref }
func grantPersonSK(ref string, id access.RequestID) string {
	return clientPre + ref + "#REQ#" + string(id)
}
func grantClientSK(id access.RequestID) string { return grantPre + string(id) }
func openRequestSK(at time.Time, id access.RequestID) string {
	return openRequestPre + stamp(at) + "#" + string(id)
}
func clientTypePK(ref string, t DocumentType) string { return clientPK(ref) + "#TYPE#" + string(t) }

// hiddenDocsPK is the GSI1 partition of a client's replaced and withdrawn documents: apart from
// the client's current ones (CLIENT#<ref>), so no portal list reads them.
func hiddenDocsPK(ref string) string { return clientPK(ref) + "#HIDDEN" }
func documentSK(d Document) string {
	return docPrefix + d.DocumentDate + "#" + stamp(d.PublishedAt) + "#" + string(d.ID)
}
func dueKey(at time.Time, id string) string        { return stamp(at) + "#" + id }
func noticeSK(at time.Time, e access.Email) string { return stamp(at) + "#" + string(e) }
func auditClientPK(ref string) string              { return "AUDIT#CLIENT#" + ref }
func auditPersonPK(e access.Email) string          { return "AUDIT#PERSON#" + string(e) }
func auditSubjectPK(e access.Email) string         { return "AUDIT#SUBJECT#" + string(e) }
func auditSK(at time.Time, id string) string       { return stamp(at) + "#" + id }

// The person look-ups of the staff workspace (person.go): a sparse GSI1 entry per person name on
// the items that carry one, a person's sessions (GSI1), their emails (GSI2) and the live
// invitation tokens of a request (GSI1), so that support finds each with a Query, never a Scan.
const (
	namePre        = "NAME#"     // GSI1PK prefix of a name entry: NAME#<first letter of the surname>
	personSessions = "SESSIONS#" // GSI1PK prefix of a person's sessions
	mailTo         = "MAILTO#"   // GSI2PK prefix of the emails to an address
	invitations    = "INVITE#"   // GSI1PK prefix of the invitation tokens of a request
)

func sessionsPK(e access.Email) string    { return personSessions + string(e) }
func mailToPK(e access.Email) string      { return mailTo + string(e) }
func invitationsPK(request string) string { return invitations + request }

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func num(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

// stampLayout is fixed-width so that times sort as strings in sort keys (RFC3339Nano does not: it
// trims trailing zeros).
const stampLayout = "2006-01-02T15:04:05.000000Z"

func stamp(t time.Time) string { return t.UTC().Format(stampLayout) }
