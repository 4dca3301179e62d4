package access

import (
	"strings"
	"unicode/utf8"
)

// Passkeys. A person who has signed in may add passkeys (WebAuthn credentials) and sign in with
// any of them; each has a name the person chooses so that they can tell them apart and remove the
// one they lost. Adding and removing each tell the person by email, so a passkey added by someone
// who got into the account (with a phished code) does not go unnoticed.

// MaxPasskeys bounds a person's passkeys: enough for a phone, a laptop and a spare key or two.
const MaxPasskeys = 10

// maxPasskeyName is the longest name a passkey may have, in characters.
const maxPasskeyName = 50

// PasskeyName checks a passkey's name as typed; it returns the name to keep (trimmed) or, when
// it cannot be kept, the message that says why, in the words of the form's error summary.
func PasskeyName(typed string) (string, string) {
	name := strings.TrimSpace(typed)
	switch {
	case name == "":
		return "", "Enter a name for the passkey, like the name of your phone"
	case !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxPasskeyName:
		return "", "The name must be 50 characters or fewer"
	case strings.ContainsFunc(name, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return "", "The name must be on one line"
	}
	return name, ""
}

// PasskeyAdded: the person is told a passkey was added to their account.
type PasskeyAdded struct {
	To   Email
	Name string
}

// PasskeyRemoved: the person is told a passkey was removed from their account.
type PasskeyRemoved struct {
	To   Email
	Name string
}

func (PasskeyAdded) event()   {}
func (PasskeyRemoved) event() {}
