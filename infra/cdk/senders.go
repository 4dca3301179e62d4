package cdk

import (
	"fmt"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/council/cfp/infra/wiring"
)

// SenderTag marks each sending system's role with the system's name.
const SenderTag = "cfp:sender"

// systemName is what a sending system may be called: a folder name and part of a role's name.
var systemName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}$`)

// Actions a sender has on its own folder. Multipart uploads (the AWS CLI's and rclone's for large
// files) need only s3:PutObject, and AbortMultipartUpload to give one up.
var (
	senderWrite = []string{"s3:PutObject", "s3:AbortMultipartUpload"}
	senderRead  = []string{"s3:GetObject"}
)

// senders gives each sending system (StackProps.SendingSystems) its own role, which the council's
// account may let the system's export job assume: it may write objects under batches/<system>/
// only, read its reports under batches/<system>/reports/ only (and never write there: the reports
// are ours), and list its own folder only, with the bucket key only as S3 uses it for that bucket.
// So a sender never sees another's client references.
func (b *build) senders() {
	docs := b.bucket(wiring.DocumentsBucket)
	for _, sys := range b.props.SendingSystems {
		folder := "batches/" + sys + "/"
		role := awsiam.NewRole(b.stack, jsii.String("Sender"+constructID(sys)), &awsiam.RoleProps{
			AssumedBy:   awsiam.NewAccountRootPrincipal(),
			Description: jsii.String(fmt.Sprintf("Sending system %s: writes batches under %s of the documents bucket, reads its reports", sys, folder)),
		})
		awscdk.Tags_Of(role).Add(jsii.String(SenderTag), jsii.String(sys), nil)
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings(senderWrite...), Resources: jsii.Strings(*docs.ArnForObjects(jsii.String(folder + "*"))),
		}))
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Effect:  awsiam.Effect_DENY,
			Actions: jsii.Strings(senderWrite...), Resources: jsii.Strings(*docs.ArnForObjects(jsii.String(folder + "reports/*"))),
		}))
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings(senderRead...), Resources: jsii.Strings(*docs.ArnForObjects(jsii.String(folder + "reports/*"))),
		}))
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("s3:ListBucket"), Resources: jsii.Strings(*docs.BucketArn()),
			Conditions: &map[string]any{"StringLike": map[string]any{"s3:prefix": []string{folder, folder + "*"}}},
		}))
		// The bucket is encrypted with our key: a write needs a data key, a read of a report the
		// key to decrypt it, and only as S3 asks for this bucket.
		role.AddToPolicy(b.bucketKeyViaS3(wiring.DocumentsBucket))
		cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{
			suppress("AwsSolutions-IAM5", "the sending system "+sys+" writes its batches' files, whose names it chooses at run time, under its own folder only",
				b.objectsFinding(docs, folder)),
			suppress("AwsSolutions-IAM5", "the sending system "+sys+" reads the reports of its batches, named at run time, in its own reports folder only",
				b.objectsFinding(docs, folder+"reports/")),
		}, jsii.Bool(true))
		awscdk.NewCfnOutput(b.stack, jsii.String("Sender"+constructID(sys)+"RoleArn"), &awscdk.CfnOutputProps{
			Value: role.RoleArn(), Description: jsii.String("The role sending system " + sys + " assumes to drop batches under " + folder),
		})
	}
}
