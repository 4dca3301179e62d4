package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/council/cfp/shared/bucket"
	"github.com/council/cfp/shared/cloud"
	"github.com/council/cfp/shared/setting"
	"github.com/council/cfp/shared/store"
)

func main() {
	cfg, env := cloud.Config(), setting.Env()
	db := store.New(cloud.DynamoDB(cfg), env.Required(setting.TableName))
	idp := &OIDC{Issuer: env.Required(setting.StaffIssuer), ClientID: env.Required(setting.StaffClientID),
		RedirectURL: env.Required(setting.PortalURL) + "/staff/callback"}
	h := Handler{
		Reviews: db, Staff: db, Now: time.Now, Log: slog.New(slog.NewJSONHandler(os.Stdout, nil)),
		Files:     bucket.New(cloud.S3(cfg, env.Bool(setting.S3PathStyle)), env.Required(setting.UploadsBucket)),
		ClientRef: env.Pattern(setting.ClientRefFormat),
		IdP:       idp, Groups: env.Groups(setting.StaffGroups), Insecure: env.Bool(setting.InsecureCookies),
	}
	secretID := env.Required(setting.StaffClientSecret) // the secret's ARN; its value never sits in the environment
	env.Check()
	secret, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: &secretID})
	if err != nil || secret.SecretString == nil {
		panic(fmt.Sprintf("approval: the staff client secret %s: want a text secret Secrets Manager answers with (error: %v)", secretID, err))
	}
	idp.ClientSecret = *secret.SecretString
	lambda.Start(h.Handle)
}
