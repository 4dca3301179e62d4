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
//     helpers: those grant wildcard actions (s3:GetObject*, dynamodb:*Item...) and Scan.
//   - "The scan function" (exempt from the evidence read deny, with GuardDuty's role) is every
//     function whose Access may tag objects in the uploads bucket: it reads the verdict tag and must
//     read an object before it is clean.
//   - Evidence expires a configured number of days after upload (S3 lifecycle counts from creation;
//     no function tags decided evidence), so the setting must cover the review period.
//   - The uploads bucket keeps EventBridge notifications on: GuardDuty listens through EventBridge,
//     and CDK's notification handler rewrites the bucket's whole notification configuration.
//   - The CDK CLI is installed outside this tree (.local/cdk-cli): its npm package ships .go
//     template files that would break `go test ./...` if node_modules were here.
//   - Nothing in this package calls jsii at package initialisation, so QuietJSII can still silence
//     jsii's Node 20 banner before the kernel process starts.
package cdk
