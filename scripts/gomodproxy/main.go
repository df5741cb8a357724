// Command gomodproxy writes one version of a Go module into a folder laid out as a module proxy (the
// GOPROXY protocol over file://): <out>/<module>/@v/{list,<v>.info,<v>.mod,<v>.zip}. The zip is made by
// golang.org/x/mod/zip, the same code the go command checks it with.
//
//	go run . -module mageflow.dev/signatures/clients/go -version v0.1.0 -dir ../../clients/go -out /tmp/proxy
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

func main() {
	modPath := flag.String("module", "", "module path")
	version := flag.String("version", "", "version (vX.Y.Z)")
	dir := flag.String("dir", "", "module root (holds go.mod)")
	out := flag.String("out", "", "proxy folder")
	stamp := flag.String("time", "", "version time, RFC 3339 (default: now)")
	flag.Parse()
	if err := run(*modPath, *version, *dir, *out, *stamp); err != nil {
		fmt.Fprintln(os.Stderr, "gomodproxy:", err)
		os.Exit(1)
	}
}

func run(modPath, version, dir, out, stamp string) error {
	mv := module.Version{Path: modPath, Version: version}
	if err := module.Check(modPath, version); err != nil {
		return err
	}
	when := time.Now().UTC()
	if stamp != "" {
		t, err := time.Parse(time.RFC3339, stamp)
		if err != nil {
			return err
		}
		when = t.UTC()
	}
	escaped, err := module.EscapePath(modPath)
	if err != nil {
		return err
	}
	escVersion, err := module.EscapeVersion(version)
	if err != nil {
		return err
	}
	base := filepath.Join(out, filepath.FromSlash(escaped), "@v")
	if err := os.MkdirAll(base, 0o755); err != nil {
		return err
	}
	zf, err := os.Create(filepath.Join(base, escVersion+".zip"))
	if err != nil {
		return err
	}
	if err := modzip.CreateFromDir(zf, mv, dir); err != nil {
		zf.Close()
		return err
	}
	if err := zf.Close(); err != nil {
		return err
	}
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(base, escVersion+".mod"), gomod, 0o644); err != nil {
		return err
	}
	info, _ := json.Marshal(map[string]string{"Version": version, "Time": when.Format(time.RFC3339)})
	if err := os.WriteFile(filepath.Join(base, escVersion+".info"), info, 0o644); err != nil {
		return err
	}
	listFile := filepath.Join(base, "list")
	prev, _ := os.ReadFile(listFile)
	versions := strings.Fields(string(prev))
	if !slices.Contains(versions, version) {
		versions = append(versions, version)
	}
	return os.WriteFile(listFile, []byte(strings.Join(versions, "\n")+"\n"), 0o644)
}
