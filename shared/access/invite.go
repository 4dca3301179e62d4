package access

// InviteAgain is what follows support reissuing an invitation ("I never got the email", "the link
// expired"): the requester of a live grant who has not registered is sent a new invitation, as
// approval sent the first. Anyone else is ErrIllegalMove: a registered person signs in, an ended
// or undecided request invites nobody.
func (r Request) InviteAgain(hasAccount bool) ([]Event, error) {
	if !r.Live() || hasAccount {
		return nil, ErrIllegalMove
	}
	return []Event{RequestApproved{Request: r.ID, To: r.Requester.Email}}, nil
}
