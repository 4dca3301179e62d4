// Package cloud builds the AWS SDK clients a function uses, once, at start-up, from the SDK's default
// configuration. Where they point is configuration, not code: the standard AWS_ENDPOINT_URL_* variables
// send them to local servers, and S3_PATH_STYLE (set only by the local stack) addresses buckets by path.
package cloud
