package store

// Index describes one global secondary index. Every index projects all attributes and is sparse:
// an item appears in it only while it carries the index's key attributes.
type Index struct {
	Name, PartitionKey, SortKey string
}

// Schema is the table's definition: the local stack creates it with CreateTable and the AWS stack
// declares it in CDK, both from this one value.
var Schema = struct {
	PartitionKey, SortKey string
	TTLAttribute          string
	Indexes               []Index
}{
	PartitionKey: "PK",
	SortKey:      "SK",
	TTLAttribute: "ExpiresAt",
	Indexes: []Index{
		{Name: gsi1.name, PartitionKey: gsi1.pk, SortKey: gsi1.sk},
		{Name: gsi2.name, PartitionKey: gsi2.pk, SortKey: gsi2.sk},
	},
}
