// Package dynamo creates the table in a local DynamoDB from store.Schema, the same definition the
// AWS stack declares, and gives local tools a client for it.
package dynamo
