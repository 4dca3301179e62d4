// Package wiring is the one description of how the system is put together: every function, the
// settings it reads from its environment, and what triggers it (API routes, bucket notifications,
// the schedule, SES feedback). infra/local and infra/cdk both read it, so the laptop stack and the
// AWS stack cannot drift apart. It holds no values: each stack supplies the value of every Setting,
// and a setting a stack leaves unset takes the one default shared/setting declares.
//
// Each function's Access lists the AWS actions its code calls, and nothing else: the AWS stack
// grants exactly those, and calls_test.go walks each function's code from main to the AWS SDK's
// clients to keep the two equal (and the table keys it makes equal to its Keys).
//
// One site, one shape: the JSON routes are written under APIPrefix (/api), the pages (the site's,
// the staff review pages) at the root, so API Gateway's resources, the handlers' route tables and
// the events' resource are the same strings in AWS and locally.
package wiring
