// Package vault owns reading the deployment's secrets (the staff client secret, the sign-in code
// key) from Secrets Manager through the SDK's GetSecretValue: the client is built at start, the
// value fetched on first need and kept for the instance's life, so a cold start makes no call and
// the functions that hold no secret never link the Secrets Manager client. Locally the stack
// answers the same call (AWS_ENDPOINT_URL_SECRETS_MANAGER).
package vault
