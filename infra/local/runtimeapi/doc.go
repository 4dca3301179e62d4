// Package runtimeapi is the local stand-in for AWS Lambda's execution environments.
//
// A Pool runs one function's real binary (built for the host with -tags lambda.norpc, so that
// aws-lambda-go's own runtime client is what runs) and serves each process the documented Lambda
// Runtime API, version 2018-06-01:
//
//	GET  /2018-06-01/runtime/invocation/next            long poll; the event and its Lambda-Runtime-* headers
//	POST /2018-06-01/runtime/invocation/{id}/response   202 {"status":"OK"}
//	POST /2018-06-01/runtime/invocation/{id}/error      202; body {"errorMessage","errorType"}
//	POST /2018-06-01/runtime/init/error                 202; the process is then stopped
//
// Every process (an "instance") gets its own listener on 127.0.0.1 and finds it through
// AWS_LAMBDA_RUNTIME_API, next to the variables Lambda sets for a provided.al2023 function. The
// host environment is not inherited (only PATH is): a function sees what the stack gives it in
// Config.Env and nothing of the developer's shell, as in AWS.
//
// Lambda's behaviour that the pool keeps:
//   - an instance is reused only once it asks for the next event, so a process that exits after
//     answering (a panic) is never handed another event;
//   - a new instance is started (a cold start) when none is idle and fewer than MaxInstances run;
//     otherwise the invocation waits for one;
//   - each invocation has a deadline (Timeout), counted from the moment the event is handed over; past
//     it the whole process group is killed and the caller gets ErrTimeout (Sandbox.Timedout);
//   - a process that exits during an invocation or before its first /next gives ErrCrashed
//     (Runtime.ExitError, or the error it posted to /init/error);
//   - request and response payloads are limited to 6 MiB, as for synchronous invocations;
//   - asynchronous invocations are retried twice on any error, as Lambda does by default, with a short
//     delay instead of Lambda's minutes; an event that still fails goes to Config.OnFailure, as to
//     an on-failure destination.
//
// Processes are started in their own process group and killed as a group, so Close leaves nothing
// running. Unix only (process groups).
package runtimeapi
