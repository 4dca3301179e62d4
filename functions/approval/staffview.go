package main

import (
	"net/url"
	"strconv"
	"time"

	"github.com/council/cfp/shared/access"
	"github.com/council/cfp/shared/store"
)

func signInFailedPage() view {
	return staffMessage("You could not be signed in", "Go to the staff workspace and sign in again. If this keeps happening, contact the service desk.")
}

func signInAgainPage() view {
	return staffMessage("Sign in again", "Your staff session has ended, so nothing was changed. Go to the staff workspace, sign in and try again.")
}

func noAccessPage() view {
	return staffMessage("You do not have access", "Your account has no role in the Client Finance staff workspace. Ask your manager to request one for you.")
}

func staffNotFoundPage() view {
	return staffMessage("Page not found", "There is no request at this address. Go back to the queue.")
}

func staffUnavailablePage() view {
	return staffMessage("Sorry, there is a problem with the service", "Try again in a moment.")
}

func staffMessage(heading, body string) view {
	return view{Title: heading, Main: staffMessageMain(heading, body)}
}

// queueRow is one request in the queue as the page shows it.
type queueRow struct {
	Ref, Href, Client, Age string
	Status                 access.Status
}

func queueRows(q []store.Waiting, now time.Time) []queueRow {
	rows := make([]queueRow, len(q))
	for i, w := range q {
		rows[i] = queueRow{
			Ref: shortRef(w.Request.Reference, w.Request.ID), Href: "/staff/requests/" + url.PathEscape(string(w.Request.ID)),
			Client: w.Request.Client.Name, Status: w.Request.Status, Age: age(now.Sub(w.Since)),
		}
	}
	return rows
}

// age is how long a request has waited, in the largest whole unit.
func age(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return strconv.Itoa(int(d/(24*time.Hour))) + " days"
	case d >= 2*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " hours"
	case d >= 2*time.Minute:
		return strconv.Itoa(int(d/time.Minute)) + " minutes"
	}
	return "just now"
}
