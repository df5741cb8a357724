package mageflow_test

// The scenario program (testdata/scenario, a user's main package) against a live server, built two ways:
//   - against this checkout (a replace directive): the client as it is now;
//   - installed as users install it: scripts/release-go.sh builds the module proxy folder, and the program
//     is built in a temporary folder with a clean GOPATH and module cache, GOPROXY=file://<that folder>
//     (then the public proxy for grpc and protobuf), and no access to the checkout.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const modulePath = "mageflow.dev/signatures/clients/go"

// userModule writes the scenario program and its go.mod (requiring the client at version) into a new
// temporary folder.
func userModule(t *testing.T, version string, extra string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "scenario", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	return userProgram(t, src, version, extra)
}

// userProgram writes a main package and its go.mod (requiring the client at version, unless "") into a
// new temporary folder.
func userProgram(t *testing.T, src []byte, version string, extra string) string {
	t.Helper()
	dir := t.TempDir()
	gomod := "module example.com/scenario\n\ngo 1.26.0\n"
	if version != "" {
		gomod += "\nrequire " + modulePath + " " + version + "\n"
	}
	gomod += extra
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func goCmd(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// baseEnv is the environment without the go settings the tests choose themselves.
func baseEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "GOPATH", "GOMODCACHE", "GOPROXY", "GONOSUMDB", "GONOSUMCHECK", "GOPRIVATE", "GONOPROXY", "GOFLAGS", "GOWORK", "MAGEFLOW_SERVER", "MAGEFLOW_TOKEN":
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// checkoutReplace is the go.mod line pointing the client's module path at this checkout.
func checkoutReplace(t *testing.T) string {
	t.Helper()
	here, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	return "\nreplace " + modulePath + " => " + here + "\n"
}

func TestLiveScenario(t *testing.T) {
	addr := startServer(t)
	dir := userModule(t, "v0.0.0", checkoutReplace(t))
	env := baseEnv("GOFLAGS=-mod=mod", "GOWORK=off", "MAGEFLOW_SERVER="+addr)
	goCmd(t, dir, env, "mod", "tidy")
	if out := goCmd(t, dir, env, "run", "."); !strings.Contains(out, "scenario: passed") {
		t.Fatalf("scenario output:\n%s", out)
	}
}

func TestInstalledModuleFromProxyFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads the client's dependencies into a clean module cache")
	}
	addr := startServer(t)
	root := repoRoot(t)
	release := t.TempDir()
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "release-go.sh"), release)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("release-go.sh: %v\n%s", err, out)
	}
	versions, err := os.ReadFile(filepath.Join(release, "goproxy", modulePath, "@v", "list"))
	if err != nil {
		t.Fatal(err)
	}
	version := strings.TrimSpace(string(versions))

	gopath := t.TempDir()
	upstream := strings.TrimSpace(goCmd(t, ".", baseEnv(), "env", "GOPROXY"))
	env := baseEnv(
		"GOPATH="+gopath,
		"GOMODCACHE="+filepath.Join(gopath, "pkg", "mod"),
		"GOPROXY=file://"+filepath.Join(release, "goproxy")+","+upstream,
		"GONOSUMDB=mageflow.dev", // not in the public checksum database until published
		"GOFLAGS=-mod=mod",
		"GOWORK=off",
		"MAGEFLOW_SERVER="+addr,
	)
	// The module cache is read-only; empty it so t.TempDir can remove it.
	t.Cleanup(func() { _ = exec.Command("chmod", "-R", "u+w", gopath).Run() })

	dir := userModule(t, "", "")
	goCmd(t, dir, env, "get", modulePath+"@"+version) // as docs/clients/go.md says
	goCmd(t, dir, env, "mod", "tidy")
	list := goCmd(t, dir, env, "list", "-m", "-f", "{{.Path}} {{.Version}} {{.Dir}}", modulePath)
	if !strings.HasPrefix(list, modulePath+" "+version+" "+gopath) {
		t.Fatalf("the client does not come from the clean module cache: %s", list)
	}
	if out := goCmd(t, dir, env, "run", "."); !strings.Contains(out, "scenario: passed") {
		t.Fatalf("scenario output:\n%s", out)
	}
}
