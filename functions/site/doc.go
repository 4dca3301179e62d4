// Command site serves the portal's pages that need no data: the start page (GET /), the footer's
// accessibility statement, privacy notice, cookies and contact pages, the static files under
// /assets/ (page.Static, cached for a year), and a "page not found" page for any other path. It
// holds no table, bucket or mail access: it only renders the council's branding (brand.Read).
//
// Pages that act on a request or an account are served by the function that owns the matching
// API (design decision 11); this one only says what the service is and how to reach the council.
package main
