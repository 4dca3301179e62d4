package web

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// MaxBody is the largest JSON body any route accepts.
const MaxBody = 1 << 20

type (
	Request  = events.APIGatewayProxyRequest
	Response = events.APIGatewayProxyResponse
)

// Header returns a request header by name, whatever its case.
func Header(r Request, name string) string {
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	for k, v := range r.MultiValueHeaders {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[len(v)-1]
		}
	}
	return ""
}

// Body returns the raw body, decoding base64 when API Gateway encoded it.
func Body(r Request) ([]byte, error) {
	if r.IsBase64Encoded {
		return base64.StdEncoding.DecodeString(r.Body)
	}
	return []byte(r.Body), nil
}

// DecodeJSON reads a JSON object strictly: at most MaxBody bytes, no unknown fields, nothing after it.
func DecodeJSON(r Request, v any) *Problem {
	body, err := Body(r)
	if err != nil {
		return BadRequest("The body could not be read.")
	}
	if len(body) > MaxBody {
		return &Problem{Status: http.StatusRequestEntityTooLarge, Title: "Request body too large", Detail: "The body must be at most 1 MiB."}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr):
			return Invalid(FieldError{Field: typeErr.Field, Message: "has the wrong type"})
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return Invalid(FieldError{Field: field, Message: "is not a field of this request"})
		default:
			return BadRequest("The body is not valid JSON.")
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return BadRequest("The body must hold exactly one JSON object.")
	}
	return nil
}

// FieldError names one bad field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type       string       `json:"type"`
	Title      string       `json:"title"`
	Status     int          `json:"status"`
	Detail     string       `json:"detail,omitempty"`
	Errors     []FieldError `json:"errors,omitempty"`
	RetryAfter int          `json:"-"` // seconds, for 429 and 503
}

func (p *Problem) Error() string { return p.Title }

func BadRequest(detail string) *Problem {
	return &Problem{Status: http.StatusBadRequest, Title: "Bad request", Detail: detail}
}

// Invalid is a validation problem naming each bad field.
func Invalid(errs ...FieldError) *Problem {
	detail := "Some fields are not valid."
	if len(errs) == 1 {
		detail = errs[0].Field + " " + errs[0].Message
	}
	return &Problem{Status: http.StatusBadRequest, Title: "Invalid request", Detail: detail, Errors: errs}
}

// NotFound is the one answer for unknown and forbidden alike.
func NotFound() *Problem {
	return &Problem{Status: http.StatusNotFound, Title: "Not found", Detail: "There is nothing here, or you cannot see it."}
}

func Conflict(detail string) *Problem {
	return &Problem{Status: http.StatusConflict, Title: "Conflict", Detail: detail}
}

func Forbidden(detail string) *Problem {
	return &Problem{Status: http.StatusForbidden, Title: "Forbidden", Detail: detail}
}

func Unauthorized(detail string) *Problem {
	return &Problem{Status: http.StatusUnauthorized, Title: "Unauthorized", Detail: detail}
}

func TooMany(retryAfter int) *Problem {
	return &Problem{Status: http.StatusTooManyRequests, Title: "Too many requests", Detail: "Try again later.", RetryAfter: retryAfter}
}

// Unavailable is the answer when an AWS dependency failed or throttled. It does not promise that
// nothing was changed: a write's answer can be lost after the write was made.
func Unavailable() *Problem {
	return &Problem{Status: http.StatusServiceUnavailable, Title: "Service unavailable", RetryAfter: 5,
		Detail: "Please try again in a moment. If you were making a change, reload first to see whether it was saved."}
}

// Respond answers a problem.
func (p *Problem) Respond() Response {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	b, _ := json.Marshal(p)
	r := Response{StatusCode: p.Status, Body: string(b), Headers: map[string]string{
		"Content-Type": "application/problem+json", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
	}}
	if p.RetryAfter > 0 {
		r.Headers["Retry-After"] = strconv.Itoa(p.RetryAfter)
	}
	return r
}

// JSON answers a JSON body. Every API answer is no-store: they carry personal data or tokens.
func JSON(status int, v any) Response {
	b, err := json.Marshal(v)
	if err != nil {
		return (&Problem{Status: 500, Title: "Internal error"}).Respond()
	}
	return Response{StatusCode: status, Body: string(b), Headers: map[string]string{
		"Content-Type": "application/json", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
	}}
}

// Empty answers a status with no body.
func Empty(status int) Response {
	return Response{StatusCode: status, Headers: map[string]string{"Cache-Control": "no-store"}}
}

// CheckBrowser enforces the contract's browser protections on a state-changing request: an Origin
// equal to the portal's, and a JSON content type when there is a body. Any other request gets 403, so
// a cross-site form post or a simple request from another origin cannot change anything.
func CheckBrowser(r Request, portalOrigin string) *Problem {
	if origin := Header(r, "Origin"); origin == "" || origin != portalOrigin {
		return Forbidden("This request must come from the portal.")
	}
	if r.Body == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(Header(r, "Content-Type"))
	if err != nil || mt != "application/json" {
		return Forbidden("The body must be application/json.")
	}
	return nil
}

// Origin returns the scheme and host of a URL, the form browsers send in Origin.
func Origin(url string) string {
	if i := strings.Index(url, "://"); i >= 0 {
		if j := strings.IndexByte(url[i+3:], '/'); j >= 0 {
			return url[:i+3+j]
		}
	}
	return strings.TrimRight(url, "/")
}

// SourceIP is the caller's address as API Gateway saw it.
func SourceIP(r Request) string { return r.RequestContext.Identity.SourceIP }

// Bearer returns the token of an Authorization: Bearer header.
func Bearer(r Request) string {
	h := Header(r, "Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// Answer logs how a request ended (never its content) and returns what to send: the problem's
// answer when there is a problem, else resp.
func Answer(log *slog.Logger, resp Response, p *Problem) Response {
	switch {
	case p == nil:
		log.Info("request served", "status", resp.StatusCode)
		return resp
	case p.Status >= 500:
		log.Error("request failed", "status", p.Status)
	default:
		log.Info("request refused", "status", p.Status, "title", p.Title)
	}
	return p.Respond()
}
