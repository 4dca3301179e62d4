// Package cdk owns the AWS stack, written with the Go CDK. Everything it deploys per function (the
// Lambda, its environment, its IAM, its API routes, bucket notifications, schedule and SES feedback
// subscription) is derived from infra/wiring, and the table from store.Schema, so the AWS stack and
// the local stack cannot drift apart. NewStack adds the AWS-only parts around them: WAF, GuardDuty
// Malware Protection with a tag-based bucket policy, SES identity and configuration set, alarms, and
// cdk-nag AwsSolutions checks whose findings must be fixed or suppressed with a specific reason.
//
// Decisions taken here (also in README-deploy.md):
//   - The function environment is exactly the wiring Settings, minus the two local-only switches
//     (INSECURE_COOKIES, S3_PATH_STYLE), which the AWS stack never sets.
//   - One REST API serves the whole site: the pages at / and the JSON API at wiring.APIPrefix (the
//     wiring writes the prefix into each JSON route), on the portal's host (the custom domain).
//     Being same-origin, it declares no CORS preflight; only the uploads bucket allows the portal.
//   - Identity policies are written statement by statement from wiring.Access, never with grant
//     helpers: those grant wildcard actions (s3:GetObject*, dynamodb:*Item...) and Scan. A role
//     holds exactly the actions its function's Access lists (infra/wiring's test ties them to the
//     SDK calls the function's code makes), on the table with a dynamodb:LeadingKeys condition
//     naming the partition keys it makes (an index Query is unconditioned: LeadingKeys describes
//     the table's partition key, not an index's), on objects under its prefixes, and ListBucket
//     only for keys under them.
//   - The uploads and documents buckets are encrypted with the stack's own KMS key (bucket keys
//     on). A role gets kms:Decrypt for a bucket it reads (GetObject, or signs links to) and
//     kms:GenerateDataKey for one it writes (PutObject, a signed upload form, a copy), only through
//     S3 and only for that bucket (kms:ViaService, the aws:s3:arn encryption context); these
//     follow from its S3 actions, so they are not in wiring.Access. GuardDuty's role gets both, as
//     GuardDuty documents for SSE-KMS buckets.
//   - "The scan function" (exempt from the evidence read deny, with GuardDuty's role) is every
//     function whose Access reads object tags in the uploads bucket: it reads the verdict tag and
//     must read an object before it is clean. It never writes a tag: only GuardDuty's role is exempt
//     from the tag-write deny. It has reserved concurrency (ScanUploadConcurrency), so a burst of
//     uploads queues rather than taking the API's instances.
//   - The staff identity provider's client secret stays in Secrets Manager, created by the council
//     (the stack never holds its value): the stack passes its full ARN as the setting, and a
//     function whose Access names that setting may call GetSecretValue on that ARN only. Validate
//     refuses a deployment without the staff sign-in settings: nobody could review a request.
//   - The staff allow-list (StaffCIDRs) guards every path under the first segments of the staff
//     function's routes (StaffPrefixes, from the wiring), so a staff route added later is guarded.
//   - The topic key's grants to SES and CloudWatch carry aws:SourceAccount and aws:SourceArn (this
//     stack's configuration set, this account's alarms), against the confused deputy.
//   - Evidence expires a configured number of days after upload (S3 lifecycle counts from creation;
//     no function tags decided evidence), so the setting must cover the review period.
//   - The uploads bucket keeps EventBridge notifications on: GuardDuty listens through EventBridge,
//     and CDK's notification handler rewrites the bucket's whole notification configuration.
//   - The AWS Transfer Family SFTP server (transfer.go) exists only when StackProps.SFTP is on: it is
//     billed by the hour (README-deploy.md). Its users are service-managed, one per sending system,
//     each jailed by a logical home directory to batches/<system>/ and acting through a role of its
//     own; it logs to a log group of the stack's.
//   - The CDK CLI is installed outside this tree (.local/cdk-cli): its npm package ships .go
//     template files that would break `go test ./...` if node_modules were here.
//   - Nothing in this package calls jsii at package initialisation, so QuietJSII can still silence
//     jsii's Node 20 banner before the kernel process starts.
package cdk
