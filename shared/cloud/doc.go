// Package cloud builds the AWS SDK clients a function uses, once, at start-up. The function's own
// settings are package setting's.
//
// Where the clients point is configuration, not code: they honour the SDK's standard variables, so
// AWS_ENDPOINT_URL_* send them to local servers, and S3_PATH_STYLE (set only by the local stack,
// passed to S3) addresses buckets by path. There is no local mode.
//
// The configuration is read from the Lambda environment here rather than by the SDK's
// config.LoadDefaultConfig. That package links credential providers a function never uses (shared
// files, SSO, STS, sign-in, instance metadata), whose package start-up made every function's cold
// start about a millisecond slower, against a budget of 1.5x a hello-world (make bench). What a
// Lambda function needs of it (region, the role's credentials from the environment, endpoint and
// checksum variables) is a few lines, and cloud_test.go holds them to the SDK's meaning.
package cloud
