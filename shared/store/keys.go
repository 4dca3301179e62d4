package store

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/council/cfp/shared/access"
)

// key is a primary key. Each entity has its own constructor taking its own identifier type, so a
// request id cannot be used where a document id is meant: mixed-up keys fail to compile.
type key struct{ PK, SK string }

func (k key) av() map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"PK": str(k.PK), "SK": str(k.SK)}
}

func requestKey(id access.RequestID) key { return key{"REQ#" + string(id), "REQ"} }
func evidenceKey(r access.RequestID, e access.EvidenceID) key {
	return key{"REQ#" + string(r), "EVID#" + string(e)}
}
func mailKey(id MailID) key                 { return key{"MAIL#" + string(id), "MAIL"} }
func tokenKey(hash string) key              { return key{"TOKEN#" + hash, "TOKEN"} }
func onceKey(hash string) key               { return key{"ONCE#" + hash, "ONCE"} }
func rateKey(kind, hash, window string) key { return key{"RATE#" + kind + "#" + hash, window} }

// Partition and index key values shared by several entities.
const (
	reviewQueue = "REVIEW" // GSI1PK of requests awaiting review
	outbox      = "OUTBOX" // GSI1PK of queued emails
	evidencePre = "EVID#"
)

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func num(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

// stampLayout is fixed-width so that times sort as strings in sort keys (RFC3339Nano does not: it
// trims trailing zeros).
const stampLayout = "2006-01-02T15:04:05.000000Z"

func stamp(t time.Time) string { return t.UTC().Format(stampLayout) }
