package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/council/cfp/shared/store"
)

// Client returns a client for a local DynamoDB, with the local stack's dummy credentials.
func Client(url string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region: "eu-west-2", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local-secret", ""),
	})
}

// CreateTable creates the table from store.Schema, the definition the AWS stack uses too, unless
// it is already there (a second `make run` keeps the first one's data).
func CreateTable(ctx context.Context, url, name string) error {
	db := Client(url)
	_, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &name})
	var nf *types.ResourceNotFoundException
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &nf):
		return fmt.Errorf("DynamoDB Local: %w", err)
	}
	sch := store.Schema
	attrs := []types.AttributeDefinition{
		{AttributeName: &sch.PartitionKey, AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: &sch.SortKey, AttributeType: types.ScalarAttributeTypeS},
	}
	var gsis []types.GlobalSecondaryIndex
	for _, ix := range sch.Indexes {
		attrs = append(attrs,
			types.AttributeDefinition{AttributeName: aws.String(ix.PartitionKey), AttributeType: types.ScalarAttributeTypeS},
			types.AttributeDefinition{AttributeName: aws.String(ix.SortKey), AttributeType: types.ScalarAttributeTypeS})
		gsis = append(gsis, types.GlobalSecondaryIndex{
			IndexName: aws.String(ix.Name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(ix.PartitionKey), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(ix.SortKey), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		})
	}
	if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:              &name,
		BillingMode:            types.BillingModePayPerRequest,
		AttributeDefinitions:   attrs,
		KeySchema:              []types.KeySchemaElement{{AttributeName: &sch.PartitionKey, KeyType: types.KeyTypeHash}, {AttributeName: &sch.SortKey, KeyType: types.KeyTypeRange}},
		GlobalSecondaryIndexes: gsis,
	}); err != nil {
		return fmt.Errorf("creating table %s: %w", name, err)
	}
	_, err = db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: &name, TimeToLiveSpecification: &types.TimeToLiveSpecification{
		AttributeName: &sch.TTLAttribute, Enabled: aws.Bool(true),
	}})
	return err
}
