package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/aws/jsii-runtime-go"

	"github.com/council/cfp/infra/cdk"
	"github.com/council/cfp/infra/cdk/settings"
)

func main() {
	// Reading the settings asks jsii (Node) whether the region is a CDK token.
	cdk.QuietJSII()
	ctx := context.Background()
	// An operator's tool: the deploy credentials, found as the CDK CLI finds them.
	cfg, err := config.LoadDefaultConfig(ctx)
	root := settings.RepoRoot()
	cdkContext, cerr := settings.CDKJSONContext(filepath.Join(root, "infra", "cdk", "cdk.json"))
	if err := errors.Join(err, cerr); err != nil {
		fmt.Fprintf(os.Stderr, "preflight: %v\n", err)
		os.Exit(1)
	}
	p := Preflight{
		Caller: sts.NewFromConfig(cfg), Stacks: cloudformation.NewFromConfig(cfg), Mail: sesv2.NewFromConfig(cfg),
		Functions: lambda.NewFromConfig(cfg), APIAccount: apigateway.NewFromConfig(cfg), Certificates: acm.NewFromConfig(cfg),
		Secrets: secretsmanager.NewFromConfig(cfg),
		Region:  cfg.Region, RepoRoot: root,
		Get: settings.Getter(func(key string) any { return cdkContext[key] }),
	}
	passed := p.Run(ctx, os.Stdout)
	jsii.Close()
	if !passed {
		os.Exit(1)
	}
}
