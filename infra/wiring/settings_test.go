package wiring

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const settingPath = "github.com/council/cfp/shared/setting"

// readers are the shared packages that read settings for a function, by the call that does it:
// a function calling brand.Read reads every setting shared/brand reads.
var readers = map[string]string{"brand.Read": filepath.Join("shared", "brand")}

var root = filepath.Join("..", "..")

// parseDir parses a package's non-test files.
func parseDir(t *testing.T, dir string) map[string]*ast.File {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]*ast.File{}
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			files[n] = f
		}
	}
	return files
}

// settingNames maps each Name constant declared in shared/setting to its variable.
func settingNames(t *testing.T) map[string]Setting {
	out := map[string]Setting{}
	for _, f := range parseDir(t, filepath.Join(root, "shared", "setting")) {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				if typ, ok := vs.Type.(*ast.Ident); !ok || typ.Name != "Name" {
					continue
				}
				for i, id := range vs.Names {
					v, err := strconv.Unquote(vs.Values[i].(*ast.BasicLit).Value)
					if err != nil {
						t.Fatal(err)
					}
					out[id.Name] = Setting(v)
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no setting names found in shared/setting")
	}
	return out
}

// reads is what one function's code reads: each setting with the reader method that reads it
// (env.Pattern(setting.ClientRefFormat) reads CLIENT_REFERENCE_PATTERN as a Pattern), and whether
// it reads its environment some other way.
type reads struct {
	by       map[Setting]string // setting -> reader method
	checked  bool               // calls Check, so a bad setting stops start-up
	otherEnv []string
}

func readsOf(t *testing.T, files map[string]*ast.File, names map[string]Setting) reads {
	r := reads{by: map[Setting]string{}}
	for fname, f := range files {
		local := ""
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == settingPath {
				local = "setting"
				if imp.Name != nil {
					local = imp.Name.Name
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			fun, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := fun.X.(*ast.Ident); ok && x.Name == "os" && slices.Contains([]string{"Getenv", "LookupEnv", "Environ"}, fun.Sel.Name) {
				r.otherEnv = append(r.otherEnv, fname+": os."+fun.Sel.Name)
			}
			if fun.Sel.Name == "Check" && len(call.Args) == 0 {
				r.checked = true
			}
			for _, a := range call.Args {
				sel, ok := a.(*ast.SelectorExpr)
				if !ok {
					continue
				}
				if x, ok := sel.X.(*ast.Ident); ok && local != "" && x.Name == local {
					if s, ok := names[sel.Sel.Name]; ok {
						r.by[s] = fun.Sel.Name
					}
				}
			}
			return true
		})
	}
	return r
}

// A function's settings in the wiring are exactly the ones its code reads, each read through
// package setting, and every setting is read the same way by every function that reads it (a
// pattern anchored in one and raw in another would mean two things).
func TestEveryFunctionReadsExactlyItsWiredSettings(t *testing.T) {
	names := settingNames(t)
	how := map[Setting]string{}
	for _, f := range Functions {
		files := parseDir(t, filepath.Join(root, f.Dir()))
		r := readsOf(t, files, names)
		for call, dir := range readers {
			if calls(files, call) {
				maps.Copy(r.by, readsOf(t, parseDir(t, filepath.Join(root, dir)), names).by)
			}
		}
		for _, o := range r.otherEnv {
			t.Errorf("%s: %s reads the environment; read settings through package setting", f.Name, o)
		}
		if !r.checked {
			t.Errorf("%s: never calls Check, so a bad setting would not stop its start-up", f.Name)
		}
		for s, method := range r.by {
			if prev, ok := how[s]; ok && prev != method {
				t.Errorf("%s: reads %s with %s; another function reads it with %s", f.Name, s, method, prev)
			}
			how[s] = method
			if !slices.Contains(f.Settings, s) {
				t.Errorf("%s: reads %s, which the wiring does not give it", f.Name, s)
			}
		}
		for _, s := range f.Settings {
			if _, ok := r.by[s]; !ok {
				t.Errorf("%s: the wiring gives it %s, which it never reads", f.Name, s)
			}
		}
		if len(r.by) == 0 {
			t.Errorf("%s: reads no setting at all", f.Name)
		}
	}
}

// calls reports whether any of the files calls the named package function ("brand.Read").
func calls(files map[string]*ast.File, name string) bool {
	found := false
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name+"."+sel.Sel.Name == name {
					found = true
				}
			}
			return !found
		})
	}
	return found
}

// Only package setting reads settings; package cloud reads the variables Lambda and the AWS SDK
// define (AWS_*), nothing of the wiring's.
func TestOnlyPackageSettingReadsTheEnvironmentInShared(t *testing.T) {
	shared := filepath.Join(root, "shared")
	err := filepath.WalkDir(shared, func(dir string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() || d.Name() == "testdata" {
			return err
		}
		pkg, _ := filepath.Rel(shared, dir)
		if pkg == "setting" {
			return nil
		}
		for fname, f := range parseDir(t, dir) {
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				fun, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if x, ok := fun.X.(*ast.Ident); !ok || x.Name != "os" || (fun.Sel.Name != "Getenv" && fun.Sel.Name != "LookupEnv") {
					return true
				}
				if pkg == "cloud" && awsVariable(call.Args[0]) {
					return true
				}
				t.Errorf("shared/%s/%s: os.%s outside package setting", pkg, fname, fun.Sel.Name)
				return true
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// awsVariable reports whether an expression names a variable starting AWS_ ("AWS_REGION", or
// "AWS_ENDPOINT_URL_" + service).
func awsVariable(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.BasicLit:
		v, _ := strconv.Unquote(e.Value)
		return strings.HasPrefix(v, "AWS_")
	case *ast.BinaryExpr:
		return awsVariable(e.X)
	}
	return false
}

// A main.go only wires: it reads settings and builds the handler, in at most 40 lines.
func TestEveryMainIsShort(t *testing.T) {
	for _, f := range Functions {
		b, err := os.ReadFile(filepath.Join(root, f.Dir(), "main.go"))
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(b), "\n"); n > 40 {
			t.Errorf("%s/main.go: %d lines; at most 40", f.Dir(), n)
		}
	}
}
