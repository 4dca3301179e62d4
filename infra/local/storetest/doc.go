// Package storetest gives tests a store over a fresh table in AWS's own DynamoDB Local (started
// once per test binary, on a free loopback port, in memory, with the table from store.Schema), and
// seeds grants and documents for tests and local tools. It lives under infra/local because it
// starts the local stack's DynamoDB: shared code never imports it, only tests and local tools do.
package storetest
