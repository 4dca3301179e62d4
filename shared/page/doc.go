// Package page owns what every portal page shares: the council-branded GOV.UK layout and its staff
// variant (StaffLayout: the workspace's header, service navigation and sign-out, for
// functions/approval), the govuk-frontend components the journeys use (templ), form errors, the
// pages' security headers, anti-forgery fields and the static files.
//
// Look. The stylesheet is GOV.UK Frontend compiled with Arial and the council's colours: a council
// may use GOV.UK Frontend but not the GOV.UK brand (crown, GDS Transport). assets/ holds the
// pinned npm packages, the Sass source and the favicon; static/ holds what they build to, committed
// so a clone builds without npm. `make css` rebuilds it and TestStylesheetIsCurrent fails when the
// committed files are not what the pinned packages build.
//
// Headers. Respond gives each answer a fresh nonce for the layout's one inline script; styles and
// scripts otherwise come only from this site, pages cannot be framed, the referrer is never sent
// (emailed links carry tokens), and Policy.Personal pages are never stored by any cache.
//
// Anti-forgery. A form's hidden field is HMAC(key, expiry, binding), where the binding is a
// secret the browser already holds in a SameSite=Strict, HttpOnly cookie: the session token once
// signed in, the draft's token in the request journey, or, on a form shown before either exists
// (asking for a lost link), a random value the page sets in its own cookie. A forged post from
// another site has neither the cookie (SameSite) nor a field that matches it (the key), and the
// field expires, so a page left open for a day is asked again. Signed rather than stored: a page
// view writes nothing, and the handlers' Origin check stays the first line.
//
// Static files are served by Static under content-hashed names that `make css` gives them (Asset
// gives the address), so a browser keeps them for a year, a new release is fetched at once, and a
// cold start hashes nothing.
package page
