package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/council/cfp/infra/cdk"
	"github.com/council/cfp/infra/cdk/settings"
)

func main() {
	cdk.QuietJSII()
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	get := settings.Getter(func(key string) any { return app.Node().TryGetContext(jsii.String(key)) })
	// Account and region as the CDK CLI resolved them from the credentials.
	c, err := settings.Read(get, settings.RepoRoot(), os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "cdk app: settings:\n%v\n", err)
		os.Exit(1)
	}
	stack := cdk.NewStack(app, c.StackName, c.Props)
	for _, env := range c.Examples {
		awscdk.Annotations_Of(stack).AddWarningV2(jsii.String("cfp:example-setting"),
			jsii.String(env+" is not set: an example value under .example stands in; set it before deploying"))
	}
	app.Synth(nil)
}
