package stack

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/council/cfp/shared/secret"
)

// LocalStaffSecretID names the staff identity provider's client secret in the local secret store
// (STAFF_OIDC_CLIENT_SECRET, as its ARN does in AWS); LocalStaffSecret is its value, which the
// local identity provider is given too.
const (
	LocalStaffSecretID = "cfp/staff-oidc-client"
	LocalStaffSecret   = "local-staff-secret"
)

// LocalSignInKeyID names the key sign-in codes are hashed with in the local secret store
// (SIGNIN_CODE_KEY_SECRET). Its value is random, made on the stack's first start (CreateSecret).
const LocalSignInKeyID = "cfp/signin-code-key"

// Secrets answers the Secrets Manager call the functions make, GetSecretValue, from the files in
// dir: one per secret, named by its id, holding its text. The functions reach it through the SDK's
// own AWS_ENDPOINT_URL_SECRETS_MANAGER, as they reach the local S3, so none has a local branch.
func Secrets(dir string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		answer := func(status int, body map[string]any) {
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(body)
		}
		fail := func(kind, msg string) { answer(http.StatusBadRequest, map[string]any{"__type": kind, "message": msg}) }
		if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
			fail("InvalidRequestException", "the local secret store answers GetSecretValue only")
			return
		}
		var in struct{ SecretId string }
		if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&in); err != nil || !filepath.IsLocal(in.SecretId) {
			fail("InvalidParameterException", "SecretId: want the name of a secret in the local store")
			return
		}
		f, err := os.OpenInRoot(dir, in.SecretId)
		if err != nil {
			fail("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
			return
		}
		defer f.Close()
		value, err := io.ReadAll(f)
		if err != nil {
			answer(http.StatusInternalServerError, map[string]any{"__type": "InternalServiceError", "message": "cannot read the secret"})
			return
		}
		answer(http.StatusOK, map[string]any{
			"ARN": "arn:aws:secretsmanager:" + Region + ":000000000000:secret:" + in.SecretId, "Name": in.SecretId,
			"SecretString": string(value), "VersionId": "local", "VersionStages": []string{"AWSCURRENT"},
			"CreatedDate": float64(time.Now().Unix()),
		})
	})
}

// WriteSecret stores a secret's text in the local store dir, readable by this user only.
func WriteSecret(dir, id, value string) error {
	path := filepath.Join(dir, id)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(value), 0o600)
}

// CreateSecret stores a random 256-bit secret under id in the local store dir unless one is there
// already: a stack started again over the same data keeps its key, so the codes its table holds
// still match.
func CreateSecret(dir, id string) error {
	if _, err := os.Stat(filepath.Join(dir, id)); err == nil {
		return nil
	} else if !os.IsNotExist(err) {
		return err
	}
	return WriteSecret(dir, id, secret.New().Reveal())
}
