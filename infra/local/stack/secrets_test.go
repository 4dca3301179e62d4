package stack

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/council/cfp/shared/secret"
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

// The sign-in code key is made at random on the first start, long enough for secret.HMACKey, kept
// from this user's eyes only, and the same on every later start over the same data.
func TestTheSignInKeyIsRandomOnFirstStartAndKept(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if err := CreateSecret(dir, LocalSignInKeyID); err != nil {
			t.Fatal(err)
		}
	}
	read := func(dir string) string {
		v, err := os.ReadFile(filepath.Join(dir, LocalSignInKeyID))
		if err != nil {
			t.Fatal(err)
		}
		return string(v)
	}
	first := read(a)
	if _, err := secret.HMACKey(first); err != nil || first == read(b) {
		t.Fatalf("key %d bytes (%v); the same in two stores: %v", len(first), err, first == read(b))
	}
	if fi, _ := os.Stat(filepath.Join(a, LocalSignInKeyID)); fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", fi.Mode().Perm())
	}
	if err := CreateSecret(a, LocalSignInKeyID); err != nil || read(a) != first {
		t.Fatalf("a second start changed the key (%v)", err)
	}
}
