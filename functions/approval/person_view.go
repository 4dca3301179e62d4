package main

import (
	"strconv"

	"github.com/council/cfp/shared/mail"
	"github.com/council/cfp/shared/store"
)

var peopleListedText = strconv.Itoa(peopleListed)

func sessionsText(n int) string {
	switch n {
	case 0:
		return "No"
	case 1:
		return "Yes, on 1 device"
	}
	return "Yes, on " + strconv.Itoa(n) + " devices"
}

func codeText(live, locked bool) string {
	switch {
	case locked:
		return "Locked: every attempt at their last code was used"
	case live:
		return "A code was sent and is waiting to be used"
	}
	return "None waiting"
}

func suppressionText(s store.Suppression) string {
	why := "the address bounced"
	if s.Reason == "complaint" {
		why = "the person marked an email as spam"
	}
	if s.Detail != "" {
		why += " (" + s.Detail + ")"
	}
	when := "on " + at(s.At)
	if s.Counts > 1 {
		when = strconv.Itoa(s.Counts) + " times, first " + at(s.First) + ", last " + at(s.At)
	}
	return why + ", " + when + "."
}

var templateTitles = map[mail.Template]string{
	mail.RequestReceived: "Request received", mail.MoreInformation: "More information asked for",
	mail.RequestRejected: "Request turned down", mail.Approved: "Approved: invitation to register",
	mail.ApprovedAccount: "Approved", mail.Verification: "Confirm your email address",
	mail.NewDocuments: "New documents", mail.UploadProblem: "Problem with an uploaded file",
	mail.AccessEnded: "Access ended", mail.StatusLink: "Link to the request's status",
	mail.Withdrawn: "Request withdrawn", mail.ReadyForReview: "Ready for review", mail.BatchReport: "Batch report",
}

func templateTitle(t mail.Template) string {
	if s, ok := templateTitles[t]; ok {
		return s
	}
	return string(t)
}

func deliveryText(m store.SentMail) string {
	switch m.Status {
	case "sent":
		return "Sent " + at(m.SentAt)
	case "queued":
		if m.Problem != "" {
			return "Not sent yet: trying again"
		}
		return "Waiting to be sent"
	case "parked":
		return "Not sent: failed too many times"
	case "suppressed":
		return "Not sent: the address is suppressed"
	}
	return m.Status
}
