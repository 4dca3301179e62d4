package page

import (
	"embed"
	"encoding/base64"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/council/cfp/shared/web"
)

// AssetPrefix is where Static answers. The stylesheet's image paths ($govuk-assets-path in
// assets/portal.scss) and init.js's import assume it.
const AssetPrefix = "/assets/"

// static holds the files under content-hashed names (portal.3f2a9c1b0d4e.css), given by `make css`
// at build time, so a cold start hashes nothing.
//
//go:embed static
var static embed.FS

// hashed maps a plain name (portal.css) to its address (/assets/portal.3f2a9c1b0d4e.css).
var hashed = map[string]string{}

func init() {
	files, err := fs.ReadDir(static, "static")
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		hashed[plainName(f.Name())] = AssetPrefix + f.Name()
	}
}

// plainName drops the hash, the second part of a hashed name: govuk-frontend.<hash>.min.js.
func plainName(hashedName string) string {
	parts := strings.Split(hashedName, ".")
	if len(parts) < 3 {
		return hashedName
	}
	return parts[0] + "." + strings.Join(parts[2:], ".")
}

// types are written out rather than read from the system's mime tables, which differ between
// this machine and Lambda's base image.
var types = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".svg": "image/svg+xml",
	".png": "image/png",
	".ico": "image/x-icon",
}

// Asset is the address of a static file (portal.css, govuk-frontend.min.js, init.js, favicon.svg, passkey.js)
// under its content-hashed name. It panics on a name it does not know: a page naming a file
// that does not exist is a bug every test of that page finds.
func Asset(name string) string {
	a, ok := hashed[name]
	if !ok {
		panic("page: no static asset " + name)
	}
	return a
}

// Static answers GET and HEAD for the static files under their hashed names, which a browser may
// keep for a year. A name that is not current is not found, rather than answered with other
// bytes that a cache would keep for a year.
func Static(r web.Request) web.Response {
	h := map[string]string{"X-Content-Type-Options": "nosniff"}
	if r.HTTPMethod != http.MethodGet && r.HTTPMethod != http.MethodHead {
		h["Allow"] = "GET, HEAD"
		return web.Response{StatusCode: http.StatusMethodNotAllowed, Headers: h}
	}
	name, _ := strings.CutPrefix(r.Path, AssetPrefix)
	body, err := static.ReadFile("static/" + name)
	if !strings.HasPrefix(r.Path, AssetPrefix) || strings.Contains(name, "/") || err != nil {
		h["Cache-Control"] = "no-store"
		h["Content-Type"] = "text/plain; charset=utf-8"
		return web.Response{StatusCode: http.StatusNotFound, Headers: h, Body: "Not found"}
	}
	typ := types[path.Ext(name)]
	h["Content-Type"] = typ
	h["Cache-Control"] = "public, max-age=31536000, immutable"
	resp := web.Response{StatusCode: http.StatusOK, Headers: h}
	switch {
	case r.HTTPMethod == http.MethodHead:
	case typ == "image/png" || typ == "image/x-icon":
		resp.Body, resp.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	default:
		resp.Body = string(body)
	}
	return resp
}
