// Package services starts and stops the third-party servers the local stack and the tests use, each a
// child process on 127.0.0.1 only:
//
//   - DynamoDB Local (AWS's own jar, from .local/tools/dynamodb), through the small launcher in
//     java/LoopbackDynamoDB.java: DynamoDB Local has no host option of its own and would otherwise
//     listen on every interface;
//   - aws-ses-v2-local (infra/local/node), the SES v2 emulator whose mailbox Mailbox reads;
//   - clamd (Debian's /usr/sbin/clamd) with the signatures shipped in infra/local/clamav, standing in for
//     GuardDuty's malware scan;
//   - rclone serve sftp (Debian's /usr/bin/rclone) over the local S3, one sending system's folder as its
//     root and that system's ed25519 key (made with ssh-keygen) as the only way in, standing in for AWS
//     Transfer Family.
//
// `bash infra/local/install.sh` installs them. Each process runs in its own process group and is
// killed if this process dies (Pdeathsig); Process.Close stops the whole group and waits for it.
// The Start functions return only once the server has said it listens and answers a real request,
// or with an error that carries the end of the server's output. Their ctx bounds that wait only: the
// server runs until Close. Their log gets the server's output (nil: discarded); give each server its
// own writer, or one that is safe for concurrent use.
package services
