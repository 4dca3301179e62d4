package cdk

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awstransfer"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/council/cfp/infra/wiring"
)

// SFTPTag marks each SFTP user's role with its sending system's name.
const SFTPTag = "cfp:sftp-user"

// SFTPSecurityPolicy is the Transfer Family security policy of the SFTP server: its newest
// general one, with no SHA-1 or CBC algorithms.
const SFTPSecurityPolicy = "TransferSecurityPolicy-2024-01"

// sshKeyTypes are the public key types Transfer Family accepts for service-managed users.
var sshKeyTypes = []string{"ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"}

// checkSSHKey says what is wrong with an OpenSSH public key line ("type base64 [comment]"), if
// anything. Only its shape is checked: Transfer Family refuses a key it cannot use.
func checkSSHKey(key string) error {
	f := strings.Fields(key)
	if len(f) < 2 || !slices.Contains(sshKeyTypes, f[0]) {
		return fmt.Errorf("want an OpenSSH public key line starting with one of %v", sshKeyTypes)
	}
	blob, err := base64.StdEncoding.DecodeString(f[1])
	// The blob starts with its own type, length-prefixed: a key pasted under another type's name fails.
	if err != nil || len(blob) < 4+len(f[0]) || string(blob[4:4+len(f[0])]) != f[0] {
		return fmt.Errorf("the key's body is not a %s public key", f[0])
	}
	return nil
}

// sftp adds the optional AWS Transfer Family SFTP server (StackProps.SFTP): service-managed users,
// one per sending system with the SSH public keys the council registered for it (StackProps.SFTPKeys),
// each jailed by a logical home directory to its batches/<system>/ folder ("/" is that folder: the
// user sees its batches and reports/, nothing else) and acting through a role of its own with the
// same reach as the system's S3 role. The server logs every session and file operation, as JSON,
// to a log group of the stack's (LogRetention). It is billed by the hour while it exists, which is
// why it is off by default (README-deploy.md).
func (b *build) sftp() {
	if !b.props.SFTP {
		return
	}
	docs := b.bucket(wiring.DocumentsBucket)
	logs := awslogs.NewLogGroup(b.stack, jsii.String("SftpLogs"), &awslogs.LogGroupProps{
		Retention: LogRetention, RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	// Transfer Family writes the logs itself; against the confused deputy, only for this account.
	loggingRole := awsiam.NewRole(b.stack, jsii.String("SftpLoggingRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("transfer.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": b.stack.Account()}},
		}),
		Description: jsii.String("The SFTP server writes its session and file logs to its own log group only"),
	})
	logs.GrantWrite(loggingRole)
	server := awstransfer.NewCfnServer(b.stack, jsii.String("SftpServer"), &awstransfer.CfnServerProps{
		Domain:                    jsii.String("S3"),
		EndpointType:              jsii.String("PUBLIC"),
		IdentityProviderType:      jsii.String("SERVICE_MANAGED"),
		Protocols:                 jsii.Strings("SFTP"),
		SecurityPolicyName:        jsii.String(SFTPSecurityPolicy),
		LoggingRole:               loggingRole.RoleArn(),
		StructuredLogDestinations: jsii.Strings(*logs.LogGroupArn()),
	})
	server.Node().AddDependency(loggingRole)

	systems := make([]string, 0, len(b.props.SFTPKeys))
	for sys := range b.props.SFTPKeys {
		systems = append(systems, sys)
	}
	slices.Sort(systems) // a stable template
	for _, sys := range systems {
		folder := "batches/" + sys + "/"
		role := awsiam.NewRole(b.stack, jsii.String("Sftp"+constructID(sys)+"Role"), &awsiam.RoleProps{
			AssumedBy: awsiam.NewServicePrincipal(jsii.String("transfer.amazonaws.com"), &awsiam.ServicePrincipalOpts{
				Conditions: &map[string]any{
					"StringEquals": map[string]any{"aws:SourceAccount": b.stack.Account()},
					"ArnLike":      map[string]any{"aws:SourceArn": server.AttrArn()},
				},
			}),
			Description: jsii.String(fmt.Sprintf("SFTP user %s: writes batches under %s of the documents bucket, reads its reports", sys, folder)),
		})
		awscdk.Tags_Of(role).Add(jsii.String(SFTPTag), jsii.String(sys), nil)
		objects := func(prefix string) *[]*string { return jsii.Strings(*docs.ArnForObjects(jsii.String(prefix + "*"))) }
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings(senderWrite...), Resources: objects(folder),
		}))
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Effect: awsiam.Effect_DENY, Actions: jsii.Strings(senderWrite...), Resources: objects(folder + "reports/"),
		}))
		// Unlike the S3 role, reads cover the whole folder: an SFTP client stats (HeadObject) what
		// it has just sent, and a sender may read back its own files.
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings(senderRead...), Resources: objects(folder),
		}))
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("s3:ListBucket"), Resources: jsii.Strings(*docs.BucketArn()),
			Conditions: &map[string]any{"StringLike": map[string]any{"s3:prefix": []string{folder, folder + "*"}}},
		}))
		role.AddToPolicy(b.bucketKeyViaS3(wiring.DocumentsBucket))
		cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{
			suppress("AwsSolutions-IAM5", "the SFTP user "+sys+" writes and reads back its batches' files, whose names it chooses at run time, under its own folder only",
				b.objectsFinding(docs, folder)),
			suppress("AwsSolutions-IAM5", "the SFTP user "+sys+" may not write in its reports folder, whose reports are named at run time",
				b.objectsFinding(docs, folder+"reports/")),
		}, jsii.Bool(true))

		keys := b.props.SFTPKeys[sys]
		awstransfer.NewCfnUser(b.stack, jsii.String("Sftp"+constructID(sys)+"User"), &awstransfer.CfnUserProps{
			ServerId:          server.AttrServerId(),
			UserName:          jsii.String(sys),
			Role:              role.RoleArn(),
			HomeDirectoryType: jsii.String("LOGICAL"),
			HomeDirectoryMappings: []any{&awstransfer.CfnUser_HomeDirectoryMapEntryProperty{
				Entry: jsii.String("/"), Target: jsii.String("/" + *docs.BucketName() + "/" + strings.TrimSuffix(folder, "/")),
			}},
			SshPublicKeys: jsii.Strings(keys...),
		})
	}
	awscdk.NewCfnOutput(b.stack, jsii.String("SftpHost"), &awscdk.CfnOutputProps{
		Value:       jsii.String(*server.AttrServerId() + ".server.transfer." + *b.stack.Region() + ".amazonaws.com"),
		Description: jsii.String("The SFTP server's host name: sftp -i <key> <system>@<this>"),
	})
}
