// Package brand owns what a council configures about itself (its name, the service's name, its
// contact details and its policy pages) and reads it from the settings once. Pages show it in their
// header and footer; emails (shared/mail) sign with it, all but the logo, and take its contact
// address as their Reply-To (shared/ses). It is its own package, not part of page, so a function
// that only sends email does not link the site's templates and assets.
package brand
