package vault

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

type fake struct {
	calls int
	fail  error
	text  *string
}

func (f *fake) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.calls++
	if f.fail != nil {
		return nil, f.fail
	}
	return &secretsmanager.GetSecretValueOutput{ARN: in.SecretId, SecretString: f.text}, nil
}

// The value is asked for once, on first need, and kept; a failure is not kept.
func TestTextIsReadOnFirstNeedAndKept(t *testing.T) {
	f := &fake{fail: errors.New("throttled")}
	s := With(f, "arn:secret")
	if f.calls != 0 {
		t.Fatal("read before it was needed")
	}
	if _, err := s.Text(context.Background()); err == nil {
		t.Fatal("a failed read gave a value")
	}
	f.fail, f.text = nil, aws.String("the-value")
	for range 3 {
		if v, err := s.Text(context.Background()); err != nil || v != "the-value" {
			t.Fatalf("%q %v", v, err)
		}
	}
	if f.calls != 2 {
		t.Errorf("%d reads, want 2 (the failed one, then one kept)", f.calls)
	}
}

func TestASecretWithNoTextIsAnError(t *testing.T) {
	if _, err := With(&fake{}, "arn:secret").Text(context.Background()); err == nil {
		t.Error("an empty secret gave a value")
	}
}
