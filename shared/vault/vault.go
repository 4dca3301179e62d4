package vault

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Getter is what vault needs of the Secrets Manager client.
type Getter interface {
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Secret is one secret's text, read on first need. A failed read is not kept: the next need asks
// again. The id (an ARN) may appear in errors; the value never does.
type Secret struct {
	get Getter
	id  string

	mu    sync.Mutex
	value string
}

// New is the secret id, read through the Secrets Manager client built from cfg.
func New(cfg aws.Config, id string) *Secret {
	return &Secret{get: secretsmanager.NewFromConfig(cfg), id: id}
}

// With reads through g (a test's fake).
func With(g Getter, id string) *Secret { return &Secret{get: g, id: id} }

// Text returns the secret's text, asking Secrets Manager the first time only.
func (s *Secret) Text(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.value != "" {
		return s.value, nil
	}
	out, err := s.get.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &s.id})
	if err != nil {
		return "", fmt.Errorf("vault: reading %s: %w", s.id, err)
	}
	if out.SecretString == nil || *out.SecretString == "" {
		return "", fmt.Errorf("vault: %s holds no text", s.id)
	}
	s.value = *out.SecretString
	return s.value, nil
}
