package page

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/council/cfp/shared/web"
)

// AssetPrefix is where Static answers. The stylesheet's image paths ($govuk-assets-path in
// assets/portal.scss) assume it.
const AssetPrefix = "/assets/"

//go:embed static
var static embed.FS

// types are written out rather than read from the system's mime tables, which differ between
// this machine and Lambda's base image.
var types = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".svg": "image/svg+xml",
	".png": "image/png",
	".ico": "image/x-icon",
}

type asset struct {
	body        string
	contentType string
}

var (
	assets = map[string]asset{}  // by hashed name
	hashed = map[string]string{} // plain name -> address
)

func init() {
	files, err := fs.ReadDir(static, "static")
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		b, err := static.ReadFile("static/" + f.Name())
		if err != nil {
			panic(err)
		}
		add(f.Name(), string(b))
	}
	// govuk-frontend's JavaScript is a module that only exports; this one starts it. It is written
	// here because it must name the bundle by its hashed address.
	add("init.js", "import { initAll } from "+`"`+Asset("govuk-frontend.min.js")+`"`+";\ninitAll();\n")
}

// add files an asset under a name that changes whenever its content does, so a browser may keep
// it for a year: portal.css becomes portal.3f2a9c1b0d4e.css.
func add(name, body string) {
	sum := sha256.Sum256([]byte(body))
	ext := path.Ext(name)
	if strings.HasSuffix(name, ".min.js") {
		ext = ".min.js"
	}
	h := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext
	typ := types[path.Ext(name)]
	if typ == "" {
		panic("page: no content type for static file " + name)
	}
	assets[h] = asset{body, typ}
	hashed[name] = AssetPrefix + h
}

// Asset is the address of a static file (portal.css, govuk-frontend.min.js, init.js, favicon.svg)
// under its content-hashed name. It panics on a name it does not know: a page naming a file
// that does not exist is a bug every test of that page finds.
func Asset(name string) string {
	a, ok := hashed[name]
	if !ok {
		panic("page: no static asset " + name)
	}
	return a
}

// Static answers GET and HEAD for the static files under their hashed names. A name that is not
// current is not found, rather than answered with other bytes that a cache would keep for a year.
func Static(r web.Request) web.Response {
	h := map[string]string{"X-Content-Type-Options": "nosniff"}
	if r.HTTPMethod != http.MethodGet && r.HTTPMethod != http.MethodHead {
		h["Allow"] = "GET, HEAD"
		return web.Response{StatusCode: http.StatusMethodNotAllowed, Headers: h}
	}
	a, ok := assets[strings.TrimPrefix(r.Path, AssetPrefix)]
	if !ok || !strings.HasPrefix(r.Path, AssetPrefix) {
		h["Cache-Control"] = "no-store"
		h["Content-Type"] = "text/plain; charset=utf-8"
		return web.Response{StatusCode: http.StatusNotFound, Headers: h, Body: "Not found"}
	}
	h["Content-Type"] = a.contentType
	h["Cache-Control"] = "public, max-age=31536000, immutable"
	resp := web.Response{StatusCode: http.StatusOK, Headers: h}
	if r.HTTPMethod == http.MethodGet {
		resp.Body = a.body
		if a.contentType == "image/png" || a.contentType == "image/x-icon" {
			resp.Body, resp.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(a.body)), true
		}
	}
	return resp
}
