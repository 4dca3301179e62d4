package wiring

import (
	"fmt"
	"go/constant"
	"go/token"
	"go/types"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/tools/go/packages"
	"golang.org/x/tools/go/ssa"
	"golang.org/x/tools/go/ssa/ssautil"
)

// The AWS calls each function's code can make, found by walking its program from main, and what
// IAM authorises each of them as.
//
// What the walk sees: every call reachable from the function's main and its packages' init
// functions through the module's own code: static calls; calls through interfaces, resolved to
// every type of the function's program that implements the interface (class hierarchy analysis:
// a handler's small interfaces resolve to the store's methods of those names, store.DB to the
// DynamoDB client); every function or method used as a value (lambda.Start(h.Handle), callbacks),
// taken as called; and every method of a module type converted to an interface, taken as called
// through that interface by code outside the module. Transactions are authorised item by item, so
// a types.TransactWriteItem field (Put, Update, Delete, ConditionCheck) set in reachable code
// counts as the action it names.
//
// What it cannot see: calls made through reflection or assembly; a service called from inside a
// library (so a call into one of the SDK's feature packages that call services, such as the S3
// transfer manager, fails the test until it is mapped here); the bucket prefixes a call touches at
// run time (the prefixes in Access are reviewed by hand, and the functions' and end-to-end tests
// exercise them); and which of several implementations a value holds (it takes them all, so it
// may list a call the code can never make rather than miss one). Test files are not part of a
// function's program.
//
// Table keys: every key is made by a constructor in shared/store/keys.go; the partition key
// prefixes a function may touch are the constants those constructors (and the helpers they make
// partition values with, which base-table queries use alone), where reachable, start their
// partition value with. A key copied from an item read through an index would escape it.
var sdkActions = map[string][]Action{
	"dynamodb.Client.GetItem":              {GetItem},
	"dynamodb.Client.PutItem":              {PutItem},
	"dynamodb.Client.UpdateItem":           {UpdateItem},
	"dynamodb.Client.DeleteItem":           {DeleteItem},
	"dynamodb.Client.Query":                {Query},
	"dynamodb.Client.BatchGetItem":         {BatchGetItem},
	"dynamodb.Client.TransactWriteItems":   nil, // authorised per item: see transactItems
	"s3.Client.GetObject":                  {GetObject},
	"s3.Client.HeadObject":                 {GetObject},
	"s3.Client.GetObjectTagging":           {GetObjectTagging},
	"s3.Client.PutObject":                  {PutObject},
	"s3.Client.CopyObject":                 {GetObject, PutObject}, // reads the source, writes the copy
	"s3.Client.DeleteObject":               {DeleteObject},
	"s3.Client.ListObjectsV2":              {ListBucket},
	"s3.Client.ListObjectVersions":         {ListBucketVersions},
	"s3.PresignClient.PresignGetObject":    {GetObject}, // the link carries the role's authority
	"s3.PresignClient.PresignPostObject":   {PutObject},
	"sesv2.Client.SendEmail":               {SendEmail},
	"secretsmanager.Client.GetSecretValue": {GetSecretValue},
}

// transactItems are the fields of a transaction item and the action DynamoDB checks for each.
var transactItems = map[string]Action{"Put": PutItem, "Update": UpdateItem, "Delete": DeleteItem, "ConditionCheck": ConditionCheckItem}

// versionedInputs are the S3 inputs whose VersionId, set, makes S3 authorise the call by another
// action: reading or tagging one version of an object is an action of its own.
var versionedInputs = map[string]Action{
	"GetObjectInput":        GetObjectVersion,
	"HeadObjectInput":       GetObjectVersion,
	"GetObjectTaggingInput": GetObjectVersionTagging,
	"DeleteObjectInput":     DeleteObjectVersion,
}

// pureFeatures are the SDK's feature packages that never call a service (they build and read values).
var pureFeatures = []string{sdkFeature + "dynamodb/attributevalue", sdkFeature + "dynamodb/expression"}

const (
	module     = "github.com/council/cfp"
	sdkService = "github.com/aws/aws-sdk-go-v2/service/"
	sdkFeature = "github.com/aws/aws-sdk-go-v2/feature/"
	dynamoPkg  = sdkService + "dynamodb"
	storePkg   = module + "/shared/store"
	s3Pkg      = sdkService + "s3"
)

func TestEachFunctionsAccessListsExactlyTheAWSCallsItsCodeMakes(t *testing.T) {
	progs := programs(t)
	for _, f := range Functions {
		t.Run(f.Name, func(t *testing.T) {
			used := progs[f.Name].actions
			for _, bad := range progs[f.Name].unknown {
				t.Errorf("calls %s, which this test does not map to IAM actions: add it to sdkActions", bad)
			}
			listed := f.Access.Actions()
			for _, a := range used {
				if !slices.Contains(listed, a) {
					t.Errorf("its code calls %s (%s), which its Access does not list", a, strings.Join(progs[f.Name].why[a], "; "))
				}
			}
			for _, a := range listed {
				if !slices.Contains(used, a) {
					t.Errorf("its Access lists %s, which its code never calls", a)
				}
			}
		})
	}
}

// The partition keys a function may touch (dynamodb:LeadingKeys) are those its reachable code
// makes with the store's key constructors (shared/store/keys.go, where every key is made).
func TestEachFunctionsTableKeysAreThoseItsCodeMakes(t *testing.T) {
	progs := programs(t)
	for _, f := range Functions {
		t.Run(f.Name, func(t *testing.T) {
			made := progs[f.Name].keys
			if len(f.Access.Table) == 0 {
				if len(f.Access.Keys) > 0 {
					t.Errorf("lists table keys but no table actions")
				}
				return
			}
			if f.Access.Keys == nil {
				t.Fatalf("has table actions and no Keys (partition key prefixes it makes: %q)", made)
			}
			if !slices.Equal(f.Access.Keys, made) {
				t.Errorf("Keys = %q, but its code makes partition keys starting %q", f.Access.Keys, made)
			}
		})
	}
}

// program is what the walk found for one function.
type program struct {
	actions []Action            // sorted
	why     map[Action][]string // a call site per action, for the failure message
	unknown []string
	keys    []string // partition key prefixes made, sorted
}

var (
	loadOnce sync.Once
	loaded   map[string]program
	loadErr  error
)

// programs analyses every function once per test binary (loading takes a few seconds).
func programs(t *testing.T) map[string]program {
	t.Helper()
	loadOnce.Do(func() { loaded, loadErr = analyse() })
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return loaded
}

func analyse() (map[string]program, error) {
	// Only the module's packages are read from source; the SDK and the rest come from export
	// data, so their bodies are not walked (an SDK method is where the walk stops and counts).
	cfg := &packages.Config{Mode: packages.LoadSyntax, Dir: "../.."}
	pkgs, err := packages.Load(cfg, module+"/functions/...", module+"/shared/...")
	if err != nil {
		return nil, err
	}
	if packages.PrintErrors(pkgs) > 0 {
		return nil, fmt.Errorf("the module's packages do not load")
	}
	prog, ssaPkgs := ssautil.Packages(pkgs, ssa.InstantiateGenerics)
	prog.Build()
	byPath := map[string]*ssa.Package{}
	for _, p := range ssaPkgs {
		if p != nil {
			byPath[p.Pkg.Path()] = p
		}
	}
	if byPath[storePkg] == nil {
		return nil, fmt.Errorf("no package %s", storePkg)
	}
	helpers := partitionHelpers(byPath[storePkg])
	out := map[string]program{}
	for _, f := range Functions {
		main := byPath[module+"/"+f.Dir()]
		if main == nil {
			return nil, fmt.Errorf("%s: no package %s", f.Name, f.Dir())
		}
		out[f.Name] = walk(prog, main, helpers)
	}
	return out, nil
}

// walker finds what one function's program reaches.
type walker struct {
	prog    *ssa.Program
	types   []types.Type // the concrete types of the function's program that interface calls may reach
	seen    map[*ssa.Function]bool
	queue   []*ssa.Function
	found   program
	keySeen map[string]bool
	helpers map[*ssa.Function]bool // see partitionHelpers
}

func walk(prog *ssa.Program, main *ssa.Package, helpers map[*ssa.Function]bool) program {
	w := &walker{prog: prog, seen: map[*ssa.Function]bool{}, keySeen: map[string]bool{}, helpers: helpers,
		found: program{why: map[Action][]string{}}}
	// The function's program: its main package and every module package it imports.
	var visit func(p *types.Package)
	visited := map[*types.Package]bool{}
	visit = func(p *types.Package) {
		if visited[p] {
			return
		}
		visited[p] = true
		if pkg := prog.Package(p); pkg != nil && inModule(p) {
			w.add(pkg.Func("init"))
			for _, m := range pkg.Members {
				if tn, ok := m.(*ssa.Type); ok {
					if named, ok := tn.Type().(*types.Named); ok && named.TypeParams() == nil && !types.IsInterface(named) {
						w.types = append(w.types, named, types.NewPointer(named))
					}
				}
			}
		}
		for _, imp := range p.Imports() {
			visit(imp)
		}
		// The SDK clients are the concrete types behind the store's and the senders' interfaces.
		if strings.HasPrefix(p.Path(), sdkService) && !strings.Contains(strings.TrimPrefix(p.Path(), sdkService), "/") {
			for _, name := range []string{"Client", "PresignClient"} {
				if tn, ok := p.Scope().Lookup(name).(*types.TypeName); ok {
					w.types = append(w.types, types.NewPointer(tn.Type()))
				}
			}
		}
	}
	visit(main.Pkg)
	w.add(main.Func("main"))
	for len(w.queue) > 0 {
		fn := w.queue[0]
		w.queue = w.queue[1:]
		w.body(fn)
	}
	slices.Sort(w.found.actions)
	w.found.actions = slices.Compact(w.found.actions)
	slices.Sort(w.found.unknown)
	w.found.unknown = slices.Compact(w.found.unknown)
	w.found.keys = slices.Sorted(maps.Keys(w.keySeen))
	return w.found
}

func inModule(p *types.Package) bool {
	return p != nil && (p.Path() == module || strings.HasPrefix(p.Path(), module+"/"))
}

func (w *walker) add(fn *ssa.Function) {
	if fn != nil && !w.seen[fn] {
		w.seen[fn] = true
		w.queue = append(w.queue, fn)
	}
}

// body walks one reachable function of the module (others have no body here: the walk stops).
func (w *walker) body(fn *ssa.Function) {
	if fn.Pkg != nil && fn.Pkg.Pkg.Path() == storePkg && (isKeyConstructor(fn) || w.helpers[fn]) {
		if p := keyPrefix(fn); p != "" {
			w.keySeen[p+"*"] = true
		} else {
			w.keySeen["(a partition without a constant prefix, made by "+fn.Name()+")"] = true
		}
	}
	for _, b := range fn.Blocks {
		for _, in := range b.Instrs {
			switch in := in.(type) {
			case ssa.CallInstruction:
				w.call(fn, in)
			case *ssa.FieldAddr:
				if stored(in) {
					w.transactItem(fn, in.X.Type(), in.Field, in.Pos())
					w.versioned(fn, in.X.Type(), in.Field, in.Pos())
				}
			case *ssa.MakeInterface:
				// A module type handed to code outside the module as an interface may be called
				// through it there (lambda's handler, templ's components, slog's handlers).
				if named := namedOf(in.X.Type()); named != nil && inModule(named.Obj().Pkg()) {
					w.implementations(in.X.Type(), in.Type().Underlying().(*types.Interface))
				}
			}
			for _, op := range in.Operands(nil) {
				if f, ok := (*op).(*ssa.Function); ok {
					w.add(f) // a function used as a value is taken as called
				}
			}
		}
	}
}

// implementations marks reachable the methods of t that the interface declares.
func (w *walker) implementations(t types.Type, iface *types.Interface) {
	ms := w.prog.MethodSets.MethodSet(t)
	for m := range iface.Methods() {
		if sel := ms.Lookup(m.Pkg(), m.Name()); sel != nil {
			w.add(w.prog.MethodValue(sel))
		}
	}
}

func (w *walker) call(caller *ssa.Function, in ssa.CallInstruction) {
	c := in.Common()
	if c.IsInvoke() {
		iface := c.Value.Type().Underlying().(*types.Interface)
		for _, t := range w.types {
			if !types.Implements(t, iface) {
				continue
			}
			sel := w.prog.MethodSets.MethodSet(t).Lookup(c.Method.Pkg(), c.Method.Name())
			if sel == nil {
				continue
			}
			w.callee(caller, w.prog.MethodValue(sel), in.Pos())
		}
		return
	}
	if callee := c.StaticCallee(); callee != nil {
		w.callee(caller, callee, in.Pos())
	}
}

// callee counts a call of an SDK client's method, and walks into the module's own functions.
func (w *walker) callee(caller, fn *ssa.Function, pos token.Pos) {
	if obj, ok := fn.Object().(*types.Func); ok && obj.Pkg() != nil && strings.HasPrefix(obj.Pkg().Path(), sdkFeature) &&
		!slices.Contains(pureFeatures, obj.Pkg().Path()) {
		// A feature package (the S3 transfer manager, say) calls the service itself, out of sight.
		w.found.unknown = append(w.found.unknown, obj.FullName())
		return
	}
	if name, ok := sdkMethod(fn); ok {
		actions, known := sdkActions[name]
		if !known {
			w.found.unknown = append(w.found.unknown, name)
		}
		for _, a := range actions {
			w.record(a, name, caller, pos)
		}
		return
	}
	w.add(fn)
}

func (w *walker) record(a Action, what string, caller *ssa.Function, pos token.Pos) {
	w.found.actions = append(w.found.actions, a)
	if len(w.found.why[a]) < 3 {
		w.found.why[a] = append(w.found.why[a], fmt.Sprintf("%s in %s at %s", what, caller.String(), w.prog.Fset.Position(pos)))
	}
}

// transactItem counts the use of a transaction item's field as the action DynamoDB authorises it by.
func (w *walker) transactItem(caller *ssa.Function, t types.Type, field int, pos token.Pos) {
	named := namedOf(t)
	if named == nil || named.Obj().Pkg() == nil || named.Obj().Pkg().Path() != dynamoPkg+"/types" || named.Obj().Name() != "TransactWriteItem" {
		return
	}
	name := named.Underlying().(*types.Struct).Field(field).Name()
	if a, ok := transactItems[name]; ok {
		w.record(a, "a transaction's "+name, caller, pos)
	}
}

// versioned counts a VersionId set on an S3 input as the action S3 authorises the call by.
func (w *walker) versioned(caller *ssa.Function, t types.Type, field int, pos token.Pos) {
	named := namedOf(t)
	if named == nil || named.Obj().Pkg() == nil || named.Obj().Pkg().Path() != s3Pkg {
		return
	}
	a, ok := versionedInputs[named.Obj().Name()]
	if ok && named.Underlying().(*types.Struct).Field(field).Name() == "VersionId" {
		w.record(a, named.Obj().Name()+" with a VersionId", caller, pos)
	}
}

// stored reports whether a value is stored at the field's address (as a composite literal does).
func stored(f *ssa.FieldAddr) bool {
	for _, r := range *f.Referrers() {
		if st, ok := r.(*ssa.Store); ok && st.Addr == f {
			return true
		}
	}
	return false
}

// sdkMethod names a method of a type of an AWS SDK service package (a client, a presign client,
// a paginator) as "dynamodb.Client.GetItem". The values it exchanges (service/*/types) are not
// services.
func sdkMethod(fn *ssa.Function) (string, bool) {
	recv := fn.Signature.Recv()
	if recv == nil {
		return "", false
	}
	named := namedOf(recv.Type())
	if named == nil || named.Obj().Pkg() == nil {
		return "", false
	}
	if rest, ok := strings.CutPrefix(named.Obj().Pkg().Path(), sdkService); !ok || strings.Contains(rest, "/") {
		return "", false
	}
	return named.Obj().Pkg().Name() + "." + named.Obj().Name() + "." + fn.Name(), true
}

func namedOf(t types.Type) *types.Named {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, _ := t.(*types.Named)
	return n
}

// isKeyConstructor reports whether fn is one of the store's key constructors: it returns the
// store's key type.
func isKeyConstructor(fn *ssa.Function) bool {
	res := fn.Signature.Results()
	if res.Len() != 1 {
		return false
	}
	n := namedOf(res.At(0).Type())
	return n != nil && n.Obj().Name() == "key" && n.Obj().Pkg().Path() == storePkg
}

// partitionHelpers are the functions a key constructor makes its partition value with
// (auditKey's auditClientPK): a base-table query may use one without making a whole key, so a
// reachable one counts as making that partition too.
func partitionHelpers(store *ssa.Package) map[*ssa.Function]bool {
	out := map[*ssa.Function]bool{}
	for _, m := range store.Members {
		fn, ok := m.(*ssa.Function)
		if !ok || !isKeyConstructor(fn) {
			continue
		}
		for _, b := range fn.Blocks {
			for _, in := range b.Instrs {
				if c, ok := in.(*ssa.Call); ok {
					if callee := c.Call.StaticCallee(); callee != nil && callee.Pkg == store && strings.HasSuffix(callee.Name(), "PK") {
						out[callee] = true
					}
				}
			}
		}
	}
	return out
}

// keyPrefix is the constant that starts the partition key fn makes: the left operand of the first
// string concatenation in fn or, when fn delegates that to another function, in that one.
func keyPrefix(fn *ssa.Function) string {
	for _, b := range fn.Blocks {
		for _, in := range b.Instrs {
			switch in := in.(type) {
			case *ssa.BinOp:
				if in.Op == token.ADD {
					if c, ok := in.X.(*ssa.Const); ok && c.Value != nil && c.Value.Kind() == constant.String {
						return constant.StringVal(c.Value)
					}
				}
			case *ssa.Call:
				if callee := in.Call.StaticCallee(); callee != nil && callee.Pkg == fn.Pkg && callee != fn {
					if p := keyPrefix(callee); p != "" {
						return p
					}
				}
			}
		}
	}
	return ""
}
