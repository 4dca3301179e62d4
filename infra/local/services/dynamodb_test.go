package services

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func dynamoClient(p *Process) *dynamodb.Client {
	return dynamodb.NewFromConfig(awsConfig(), func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(p.URL()) })
}

// Data written to DynamoDB Local is still there after a restart on the same data directory.
func TestDynamoDBKeepsDataAcrossRestart(t *testing.T) {
	ctx := testContext(t)
	dataDir := t.TempDir()

	p, err := StartDynamoDB(ctx, dataDir, 0, testLog{t})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	assertLoopbackOnly(t, p)
	db := dynamoClient(p)
	_, err = db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("cfp"),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("PK"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("PK"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	_, err = db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String("cfp"),
		Item: map[string]types.AttributeValue{
			"PK":   &types.AttributeValueMemberS{Value: "REQUEST#1"},
			"Name": &types.AttributeValueMemberS{Value: "kept"},
		},
	})
	if err != nil {
		t.Fatalf("PutItem: %v", err)
	}
	assertStopped(t, p)

	p, err = StartDynamoDB(ctx, dataDir, 0, testLog{t})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	got, err := dynamoClient(p).GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String("cfp"),
		Key:            map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "REQUEST#1"}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("GetItem after restart: %v", err)
	}
	name, ok := got.Item["Name"].(*types.AttributeValueMemberS)
	if !ok || name.Value != "kept" {
		t.Fatalf("after restart the item is %v; want Name=kept", got.Item)
	}
	assertStopped(t, p)
}

// Without a data directory DynamoDB Local keeps nothing: a restart starts with no tables.
func TestDynamoDBInMemoryStartsEmpty(t *testing.T) {
	ctx := testContext(t)
	p, err := StartDynamoDB(ctx, "", 0, testLog{t})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	assertLoopbackOnly(t, p)
	_, err = dynamoClient(p).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("cfp")})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Fatalf("DescribeTable on a new in-memory database: %v; want ResourceNotFoundException", err)
	}
	assertStopped(t, p)
}

// A port already taken makes StartDynamoDB fail with DynamoDB Local's own explanation, and leaves nothing running.
func TestDynamoDBPortTakenFails(t *testing.T) {
	ctx := testContext(t)
	first, err := StartDynamoDB(ctx, "", 0, testLog{t})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	_, port := splitPort(t, first.Addr)
	second, err := StartDynamoDB(ctx, "", port, testLog{t})
	if err == nil {
		second.Close()
		t.Fatal("a second DynamoDB Local started on a port already in use")
	}
	if !strings.Contains(err.Error(), "Address already in use") {
		t.Fatalf("the error does not say why DynamoDB Local could not start: %v", err)
	}
	assertStopped(t, first)
}
