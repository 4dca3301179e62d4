package stack

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// The SDK's own client, as a function uses it, reads a stored secret and is refused what is not
// stored or lies outside the store.
func TestTheLocalSecretStoreAnswersTheSDK(t *testing.T) {
	dir := t.TempDir()
	if err := WriteSecret(dir, LocalStaffSecretID, LocalStaffSecret); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Secrets(dir))
	defer srv.Close()
	c := secretsmanager.New(secretsmanager.Options{
		Region: Region, BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	})
	ctx := context.Background()
	out, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(LocalStaffSecretID)})
	if err != nil || aws.ToString(out.SecretString) != LocalStaffSecret || aws.ToString(out.Name) != LocalStaffSecretID {
		t.Fatalf("GetSecretValue(%s) = %+v, %v; want the stored text", LocalStaffSecretID, out, err)
	}
	for _, id := range []string{"cfp/no-such-secret", "../" + LocalStaffSecretID, "/etc/passwd"} {
		_, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		var notFound *types.ResourceNotFoundException
		var badParam *types.InvalidParameterException
		if !errors.As(err, &notFound) && !errors.As(err, &badParam) {
			t.Errorf("GetSecretValue(%q): %v; want not found or refused", id, err)
		}
	}
}
