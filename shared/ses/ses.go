package ses

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/cloud"
	"github.com/council/cfp/shared/mail"
)

// API is the part of the SES v2 API that sending uses; *sesv2.Client satisfies it.
type API interface {
	SendEmail(context.Context, *sesv2.SendEmailInput, ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// Sender sends rendered emails through SES from one address, with replies going to another.
type Sender struct {
	SES       API
	From      string // a no-reply address of the council's verified mail domain
	ReplyTo   string // the brand's contact email: a reply reaches the Client Finance team
	ConfigSet string // bounces and complaints come back through it; "" locally
}

// ErrNoReplyTo is Send's answer when the sender has no Reply-To address: every email the system
// sends invites a reply, so one without somewhere for it to go is not sent.
var ErrNoReplyTo = errors.New("ses: no Reply-To address")

// Send sends one email and returns SES's message id. idempotencyKey is set as a header so a
// duplicate that slips through the at-least-once window can be recognised by the recipient's client.
func (s Sender) Send(ctx context.Context, to access.Email, r mail.Rendered, idempotencyKey string) (string, error) {
	if s.ReplyTo == "" {
		return "", ErrNoReplyTo
	}
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(s.From),
		ReplyToAddresses: []string{s.ReplyTo},
		Destination:      &types.Destination{ToAddresses: []string{string(to)}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(r.Subject), Charset: aws.String("UTF-8")},
			Body: &types.Body{
				Text: &types.Content{Data: aws.String(r.Text), Charset: aws.String("UTF-8")},
				Html: &types.Content{Data: aws.String(r.HTML), Charset: aws.String("UTF-8")},
			},
			Headers: []types.MessageHeader{{Name: aws.String("X-Entity-Ref-ID"), Value: aws.String(idempotencyKey)}},
		}},
	}
	if s.ConfigSet != "" {
		in.ConfigurationSetName = aws.String(s.ConfigSet)
	}
	out, err := s.SES.SendEmail(ctx, in)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.MessageId), nil
}

// Client builds the SES v2 client from the function's AWS configuration (once, at start-up), with
// the longer silence limit of a call that is not safe to repeat.
func Client(cfg aws.Config) *sesv2.Client {
	return sesv2.NewFromConfig(cfg, func(o *sesv2.Options) { o.HTTPClient = cloud.HTTPClient(cloud.SendSilence) })
}
