package page

// FieldError is one thing wrong with a form. Field is the id of the element the error summary's
// link moves focus to: the input itself, the first radio of a group, the day of a date.
type FieldError struct{ Field, Message string }

// Errors are a form's problems in the order the fields appear on the page, which is the order
// the error summary lists them.
type Errors []FieldError

// Add records a problem with a field; only the first problem of each field is kept, because a
// person fixes one thing at a time and the summary must not repeat a field.
func (e *Errors) Add(field, message string) {
	if e.For(field) == "" {
		*e = append(*e, FieldError{field, message})
	}
}

// For is the message to show by a field, or "".
func (e Errors) For(field string) string {
	for _, f := range e {
		if f.Field == field {
			return f.Message
		}
	}
	return ""
}

// Any reports whether the form has a problem: the page then answers 400 and its title starts
// with "Error: ".
func (e Errors) Any() bool { return len(e) > 0 }
