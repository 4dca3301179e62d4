package cdk

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
	"strings"

	"github.com/council/cfp/infra/wiring"
	"github.com/council/cfp/shared/store"
)

// storage declares the table from store.Schema and the buckets with their access-log bucket.
func (b *build) storage() {
	str := func(name string) *awsdynamodb.Attribute {
		return &awsdynamodb.Attribute{Name: jsii.String(name), Type: awsdynamodb.AttributeType_STRING}
	}
	s := store.Schema
	b.table = awsdynamodb.NewTable(b.stack, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey: str(s.PartitionKey),
		SortKey:      str(s.SortKey),
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		DeletionProtection:  jsii.Bool(true),
		Encryption:          awsdynamodb.TableEncryption_AWS_MANAGED,
		TimeToLiveAttribute: jsii.String(s.TTLAttribute),
		RemovalPolicy:       awscdk.RemovalPolicy_RETAIN,
	})
	for _, ix := range s.Indexes {
		gsi := &awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(ix.Name),
			PartitionKey:   str(ix.PartitionKey),
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		}
		if ix.SortKey != "" {
			gsi.SortKey = str(ix.SortKey)
		}
		b.table.AddGlobalSecondaryIndex(gsi)
	}

	days := func(n float64) awscdk.Duration { return awscdk.Duration_Days(jsii.Number(n)) }
	// S3 server access logs: the target cannot use SSE-KMS, and must not log to itself.
	b.logBucket = awss3.NewBucket(b.stack, jsii.String("AccessLogs"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		Versioned:         jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("expire-access-logs"),
			Expiration:                          days(365),
			NoncurrentVersionExpiration:         days(30),
			AbortIncompleteMultipartUploadAfter: days(1),
		}},
	})

	// The evidence and the published documents are encrypted with a key of the stack's own, so
	// that reading them needs a grant on the key as well as on the bucket (each function's role
	// gets one for the buckets it reads or writes; see statements), and every use of it is in
	// CloudTrail. Bucket keys make S3 ask KMS once per bucket key rather than per object.
	b.bucketKey = awskms.NewKey(b.stack, jsii.String("BucketKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the uploads and documents buckets"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
	awscdk.NewCfnOutput(b.stack, jsii.String("BucketKeyArn"), &awscdk.CfnOutputProps{
		Value:       b.bucketKey.KeyArn(),
		Description: jsii.String("The buckets' KMS key: the back office needs kms:GenerateDataKey on it to drop documents"),
	})

	origin, _ := portalOrigin(b.props.PortalURL) // validated already
	b.buckets[wiring.UploadsBucket] = b.dataBucket("Uploads", &awss3.BucketProps{
		// Browsers POST evidence straight to S3 with presigned forms, from the portal only.
		Cors: &[]*awss3.CorsRule{{
			AllowedOrigins: jsii.Strings(origin),
			AllowedMethods: &[]awss3.HttpMethods{awss3.HttpMethods_POST},
			AllowedHeaders: jsii.Strings("Content-Type"),
			MaxAge:         jsii.Number(600),
		}},
		// GuardDuty Malware Protection listens through EventBridge. CDK's notification handler
		// rewrites the bucket's whole notification configuration, so it must keep EventBridge on.
		EventBridgeEnabled: jsii.Bool(true),
		LifecycleRules: &[]*awss3.LifecycleRule{
			{
				Id:                                  jsii.String("expire-evidence"),
				Expiration:                          days(float64(b.props.EvidenceRetentionDays)),
				AbortIncompleteMultipartUploadAfter: days(1),
				// Deleted (infected or expired) evidence must not linger as old versions.
				NoncurrentVersionExpiration: days(1),
			},
			{Id: jsii.String("remove-delete-markers"), ExpiredObjectDeleteMarker: jsii.Bool(true)},
		},
	})
	b.buckets[wiring.DocumentsBucket] = b.dataBucket("Documents", &awss3.BucketProps{
		// Published documents are kept as long as the council's retention schedule says, drops the
		// back office got wrong long enough to fix them; superseded versions and failed uploads go.
		// A batch's file is published in place, as the version that arrived: a version under
		// batches/ is kept as long as a published document, even once the sender has written the
		// same name again (it is then not current, but still the document).
		LifecycleRules: &[]*awss3.LifecycleRule{
			tidyVersions("inbound/"), tidyVersions("published/"), tidyVersions("rejected/"),
			{
				Id: jsii.String("keep-batches"), Prefix: jsii.String("batches/"),
				Expiration:                          days(float64(b.props.DocumentRetentionDays)),
				NoncurrentVersionExpiration:         days(float64(b.props.DocumentRetentionDays)),
				AbortIncompleteMultipartUploadAfter: days(1),
			},
			{Id: jsii.String("expire-published"), Prefix: jsii.String("published/"), Expiration: days(float64(b.props.DocumentRetentionDays))},
			{Id: jsii.String("expire-rejected"), Prefix: jsii.String("rejected/"), Expiration: days(float64(b.props.RejectedRetentionDays))},
			// Subject-access exports (functions/approval) are handed over by a 15-minute link; the
			// copy goes the next day, old versions with it.
			{Id: jsii.String("expire-exports"), Prefix: jsii.String("exports/"), Expiration: days(1), NoncurrentVersionExpiration: days(1)},
			{Id: jsii.String("remove-delete-markers"), ExpiredObjectDeleteMarker: jsii.Bool(true)},
		},
	})
}

// tidyVersions removes superseded versions under prefix after 30 days, and failed uploads.
func tidyVersions(prefix string) *awss3.LifecycleRule {
	return &awss3.LifecycleRule{
		Id: jsii.String("tidy-versions-" + strings.TrimSuffix(prefix, "/")), Prefix: jsii.String(prefix),
		AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(30)),
	}
}

// dataBucket is a private, TLS-only, versioned bucket encrypted with the bucket key, that logs its access.
func (b *build) dataBucket(id string, p *awss3.BucketProps) awss3.Bucket {
	p.BlockPublicAccess = awss3.BlockPublicAccess_BLOCK_ALL()
	p.EnforceSSL = jsii.Bool(true)
	p.Encryption = awss3.BucketEncryption_KMS
	p.EncryptionKey = b.bucketKey
	p.BucketKeyEnabled = jsii.Bool(true)
	p.Versioned = jsii.Bool(true)
	p.ObjectOwnership = awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED
	p.RemovalPolicy = awscdk.RemovalPolicy_RETAIN
	p.ServerAccessLogsBucket = b.logBucket
	p.ServerAccessLogsPrefix = jsii.String(id + "/")
	return awss3.NewBucket(b.stack, jsii.String(id), p)
}
