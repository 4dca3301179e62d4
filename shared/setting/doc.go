// Package setting owns a function's deployment settings: their names (the environment variables),
// their defaults, and the one way to read them. A Reader reads each setting as its type (a required
// string, a positive number, a duration, a pattern, a list of addresses), collects every problem and
// stops the function's start-up once, naming each bad variable, so no value is silently replaced.
//
// The names and defaults are declared here, not in infra/wiring, because the functions read them
// and must not import infra/ (nothing under shared/ or functions/ does). infra/wiring takes its
// Setting type and names from here and each stack its defaults (Name.Default, Default*), so the
// function, the local stack and the AWS stack cannot disagree. A reader takes no default argument:
// the name carries its default, which is how one default stays in one place.
//
// A Pattern is anchored here, once (^(?:p)$): every function that reads CLIENT_REFERENCE_PATTERN
// matches the whole reference with it.
package setting
