package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/passkey"
	"github.com/council/cfp/shared/store"
	"github.com/council/cfp/shared/web"
)

// Passkeys is what adding, listing and removing a person's passkeys need of the store.
type Passkeys interface {
	PasskeyUser(ctx context.Context, e access.Email) ([]byte, int, error)
	Passkeys(ctx context.Context, e access.Email) ([]store.Passkey, error)
	Passkey(ctx context.Context, e access.Email, id store.PasskeyID) (store.Passkey, error)
	AddPasskey(ctx context.Context, p store.Passkey, handle []byte, first bool, max int, added mail.Message) error
	RemovePasskey(ctx context.Context, e access.Email, id store.PasskeyID, removed mail.Message) error
	StartCeremony(ctx context.Context, challengeHash string, c store.Ceremony, limits ...store.Limit) error
	TakeCeremony(ctx context.Context, challengeHash string) (store.Ceremony, error)
}

// passkeyBody is a passkey as the API shows it.
type passkeyBody struct {
	ID         store.PasskeyID `json:"id"`
	Name       string          `json:"name"`
	CreatedAt  time.Time       `json:"createdAt"`
	LastUsedAt *time.Time      `json:"lastUsedAt"` // null: never used
}

func passkeyView(p store.Passkey) passkeyBody {
	b := passkeyBody{ID: p.ID(), Name: p.Name, CreatedAt: p.CreatedAt.UTC()}
	if !p.LastUsedAt.IsZero() {
		at := p.LastUsedAt.UTC()
		b.LastUsedAt = &at
	}
	return b
}

// addingPerPerson bounds the passkey ceremonies one person begins in an hour: a script in a
// signed-in tab cannot fill the table with challenges.
var addingPerPerson = store.Limit{Kind: "passkey-add", Window: time.Hour, Max: 20}

func tooManyPasskeys() *web.Problem {
	return web.Conflict("You have " + strconv.Itoa(access.MaxPasskeys) + " passkeys, the most you can have. Remove one you no longer use first.")
}

func notAdded() *web.Problem {
	return web.BadRequest("The passkey could not be checked, so it was not added. Try again.")
}

// beginAdding answers POST /passkeys/registration: it checks the passkey's name and begins the
// ceremony that adds one, for the signed-in person only.
func (h Handler) beginAdding(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	var in struct {
		Name string `json:"name"`
	}
	if p := h.readJSON(r, &in); p != nil {
		return web.Response{}, p
	}
	s, p := h.signedIn(ctx, r, log)
	if p != nil {
		return web.Response{}, p
	}
	name, msg := access.PasskeyName(in.Name)
	if msg != "" {
		return web.Response{}, web.Invalid(web.FieldError{Field: "name", Message: msg})
	}
	handle, n, err := h.Passkeys.PasskeyUser(ctx, s.Email)
	first := errors.Is(err, store.ErrNotFound)
	switch {
	case first:
		handle = passkey.NewHandle()
	case err != nil:
		log.Error("reading a person's passkeys", "err", err)
		return web.Response{}, web.Unavailable()
	case n >= access.MaxPasskeys:
		return web.Response{}, tooManyPasskeys()
	}
	u := passkey.User{Handle: handle, Email: s.Email, Name: s.Name}
	if !first {
		if u.Keys, err = h.Passkeys.Passkeys(ctx, s.Email); err != nil {
			log.Error("reading a person's passkeys", "err", err)
			return web.Response{}, web.Unavailable()
		}
	}
	b, err := h.RP.BeginAdding(u)
	if err != nil {
		log.Error("beginning to add a passkey", "err", err)
		return web.Response{}, web.Unavailable()
	}
	c := store.Ceremony{Kind: store.AddingPasskey, Email: s.Email, Handle: handle, First: first, Name: name, Data: b.Data, StartedAt: h.Now()}
	limit := addingPerPerson
	limit.Key = string(s.Email)
	switch err := h.Passkeys.StartCeremony(ctx, b.ChallengeHash, c, limit); {
	case errors.Is(err, store.ErrLimited):
		return web.Response{}, web.TooMany(int(limit.Window / time.Second))
	case err != nil:
		log.Error("keeping a passkey ceremony", "err", err)
		return web.Response{}, web.Unavailable()
	}
	return web.JSON(http.StatusOK, b.Options), nil
}

// finishAdding answers POST /passkeys: the browser's answer to the person's own ceremony, once.
func (h Handler) finishAdding(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	var in struct {
		Credential json.RawMessage `json:"credential"`
	}
	if p := h.readJSON(r, &in); p != nil {
		return web.Response{}, p
	}
	s, p := h.signedIn(ctx, r, log)
	if p != nil {
		return web.Response{}, p
	}
	hash, err := passkey.ChallengeHash(in.Credential)
	if err != nil {
		return web.Response{}, notAdded()
	}
	c, err := h.Passkeys.TakeCeremony(ctx, hash)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return web.Response{}, notAdded()
	case err != nil:
		log.Error("taking a passkey ceremony", "err", err)
		return web.Response{}, web.Unavailable()
	case c.Kind != store.AddingPasskey || c.Email != s.Email:
		// Another person's ceremony, or a sign-in's: taken, so it cannot be tried again either.
		log.Warn("a passkey answer to someone else's ceremony")
		return web.Response{}, notAdded()
	}
	u := passkey.User{Handle: c.Handle, Email: s.Email, Name: s.Name}
	pk, err := h.RP.FinishAdding(u, c.Data, in.Credential, c.Name, h.Now())
	if err != nil {
		if !errors.Is(err, passkey.ErrRefused) {
			log.Error("finishing adding a passkey", "err", err)
			return web.Response{}, web.Unavailable()
		}
		log.Info("a passkey answer was refused")
		return web.Response{}, notAdded()
	}
	added, _ := mail.For(access.PasskeyAdded{To: s.Email, Name: c.Name})
	switch err := h.Passkeys.AddPasskey(ctx, pk, c.Handle, c.First, access.MaxPasskeys, added); {
	case errors.Is(err, store.ErrLimited):
		return web.Response{}, tooManyPasskeys()
	case errors.Is(err, store.ErrConflict):
		return web.Response{}, notAdded()
	case err != nil:
		log.Error("adding a passkey", "err", err)
		return web.Response{}, web.Unavailable()
	}
	log.Info("passkey added")
	return web.JSON(http.StatusCreated, passkeyView(pk)), nil
}

// listPasskeys answers GET /passkeys: the signed-in person's passkeys, oldest first.
func (h Handler) listPasskeys(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	s, p := h.signedIn(ctx, r, log)
	if p != nil {
		return web.Response{}, p
	}
	keys, p := h.passkeysOf(ctx, s, log)
	if p != nil {
		return web.Response{}, p
	}
	out := struct {
		Passkeys []passkeyBody `json:"passkeys"`
	}{Passkeys: []passkeyBody{}}
	for _, k := range keys {
		out.Passkeys = append(out.Passkeys, passkeyView(k))
	}
	return web.JSON(http.StatusOK, out), nil
}

func (h Handler) passkeysOf(ctx context.Context, s store.Session, log *slog.Logger) ([]store.Passkey, *web.Problem) {
	keys, err := h.Passkeys.Passkeys(ctx, s.Email)
	if err != nil {
		log.Error("reading a person's passkeys", "err", err)
		return nil, web.Unavailable()
	}
	return keys, nil
}

// removePasskey answers DELETE /passkeys/{id}: one of the signed-in person's passkeys is removed
// and they are emailed. Another person's passkey is not found, as an unknown one.
func (h Handler) removePasskey(ctx context.Context, r web.Request, log *slog.Logger) (web.Response, *web.Problem) {
	if p := web.CheckBrowser(r, h.Origin); p != nil {
		return web.Response{}, p
	}
	s, p := h.signedIn(ctx, r, log)
	if p != nil {
		return web.Response{}, p
	}
	if p := h.remove(ctx, s, store.PasskeyID(r.PathParameters["id"]), log); p != nil {
		return web.Response{}, p
	}
	return web.Empty(http.StatusNoContent), nil
}

// remove removes one of the person's passkeys, for the JSON route and the page alike.
func (h Handler) remove(ctx context.Context, s store.Session, id store.PasskeyID, log *slog.Logger) *web.Problem {
	if len(id) != 43 { // base64url SHA-256
		return web.NotFound()
	}
	pk, err := h.Passkeys.Passkey(ctx, s.Email, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return web.NotFound()
	case err != nil:
		log.Error("reading a passkey", "err", err)
		return web.Unavailable()
	}
	removed, _ := mail.For(access.PasskeyRemoved{To: s.Email, Name: pk.Name})
	switch err := h.Passkeys.RemovePasskey(ctx, s.Email, id, removed); {
	case errors.Is(err, store.ErrNotFound):
		return web.NotFound() // removed a moment ago
	case err != nil:
		log.Error("removing a passkey", "err", err)
		return web.Unavailable()
	}
	log.Info("passkey removed")
	return nil
}
