package main

import (
	"fmt"
	stdhtml "html"
	"strings"
)

// The pages are made from HTML fragments in templates/*.html, each written
//
//	{{define "name"}} ... {{Hole}} ... {{{Markup}}} ... {{end}}
//
// {{Hole}} takes text and escapes it; {{{Markup}}} takes markup that this function built (the html
// type), never text from a request. This small filler is used instead of html/template because
// html/template's reflection (MethodByName) makes the linker keep every exported method of every
// type, which would take the binary well over its 12 MiB budget.

// html is markup made by this function: from the fragments, with every text value escaped.
type html string

// fragment is one parsed {{define}} block: literal markup and the holes between.
type fragment []part

type part struct {
	lit    string
	hole   string
	markup bool
}

// parseFragments reads every {{define "name"}}...{{end}} block of a file.
func parseFragments(src string, into map[string]fragment) {
	for {
		start := strings.Index(src, `{{define "`)
		if start < 0 {
			return
		}
		src = src[start+len(`{{define "`):]
		q := strings.Index(src, `"}}`)
		end := strings.Index(src, "{{end}}")
		if q < 0 || end < q {
			panic("approval: a {{define}} without a name or an {{end}}")
		}
		name, body := src[:q], strings.Trim(src[q+3:end], "\n")
		src = src[end+len("{{end}}"):]
		var f fragment
		for body != "" {
			open := strings.Index(body, "{{")
			if open < 0 {
				f = append(f, part{lit: body})
				break
			}
			f = append(f, part{lit: body[:open]})
			body = body[open:]
			p := part{markup: strings.HasPrefix(body, "{{{")}
			closer, skip := "}}", 2
			if p.markup {
				closer, skip = "}}}", 3
			}
			c := strings.Index(body, closer)
			if c < 0 {
				panic("approval: unclosed hole in fragment " + name)
			}
			p.hole = body[skip:c]
			body = body[c+len(closer):]
			f = append(f, p)
		}
		into[name] = f
	}
}

// fill renders a fragment with its holes' values, given as name, value pairs: a string (escaped)
// for a {{Hole}}, html for a {{{Markup}}}. A missing or mistyped value is a bug, and panics (the
// page renderer recovers and answers 500; the tests render every fragment).
func fill(name string, kv ...any) html {
	f, ok := fragments[name]
	if !ok {
		panic("approval: no fragment " + name)
	}
	vals := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		vals[kv[i].(string)] = kv[i+1]
	}
	var b strings.Builder
	for _, p := range f {
		b.WriteString(p.lit)
		if p.hole == "" {
			continue
		}
		switch v := vals[p.hole].(type) {
		case string:
			if p.markup {
				panic(fmt.Sprintf("approval: %s: {{{%s}}} takes markup, not text", name, p.hole))
			}
			b.WriteString(stdhtml.EscapeString(v))
		case html:
			if !p.markup {
				panic(fmt.Sprintf("approval: %s: {{%s}} takes text, not markup", name, p.hole))
			}
			b.WriteString(string(v))
		default:
			panic(fmt.Sprintf("approval: %s: no value for %s", name, p.hole))
		}
	}
	return html(b.String())
}

// join concatenates markup.
func join(parts ...html) html {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(string(p))
	}
	return html(b.String())
}

// when returns m if cond holds, else nothing.
func when(cond bool, m html) html {
	if cond {
		return m
	}
	return ""
}
