// Package bucket owns the S3 side of the system: presigned POST forms for evidence uploads
// (server-chosen key, fixed content type, size range, short expiry), presigned GET links, and the
// few object calls the functions make. The API never carries file bytes.
package bucket
