// Command apicheck applies every manifest that `dataplatform plan --out DIR` wrote to a real
// kube-apiserver: the CRDs pinned in internal/apicheck/crds.txt are installed first (fetched from the
// operators' Go modules and checked by sha256), namespaces are created, and every other object is sent
// as a server-side apply with dryRun=All and fieldValidation=Strict. CI runs it after the plans.
//
// usage: apicheck -etcd BIN -kube-apiserver BIN [-logs FILE] PLANDIR...
//
// Each PLANDIR is one combination (its base name names it) holding manifests/. Exit codes: 0 every
// object accepted; 1 an object was rejected or its kind has no API; 2 the check could not run.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/opendataplatform/dataplatform/internal/apicheck"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("apicheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	etcd := fs.String("etcd", "etcd", "etcd binary")
	apiserver := fs.String("kube-apiserver", "kube-apiserver", "kube-apiserver binary")
	logs := fs.String("logs", "", "file for etcd's and kube-apiserver's output (default: discarded)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: apicheck -etcd BIN -kube-apiserver BIN [-logs FILE] PLANDIR...")
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "exit codes: 0 all accepted, 1 an object rejected, 2 the check could not run")
	}
	if err := fs.Parse(args); err != nil {
		return apicheck.ExitSetup
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return apicheck.ExitSetup
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "apicheck:", err)
		return apicheck.ExitSetup
	}

	type combination struct {
		name string
		objs []apicheck.Object
	}
	var combos []combination
	for _, dir := range fs.Args() {
		objs, err := apicheck.LoadDir(filepath.Join(dir, "manifests"))
		if err != nil {
			return fail(err)
		}
		combos = append(combos, combination{filepath.Base(filepath.Clean(dir)), objs})
	}
	pins, err := apicheck.ParsePins(apicheck.PinsFile)
	if err != nil {
		return fail(err)
	}
	crds, err := apicheck.LoadCRDs(pins, apicheck.GoModDownload)
	if err != nil {
		return fail(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var logw io.Writer
	if *logs != "" {
		f, err := os.Create(*logs)
		if err != nil {
			return fail(err)
		}
		defer f.Close()
		logw = f
	}
	start := time.Now()
	srv, err := apicheck.StartServer(ctx, apicheck.ServerOptions{Etcd: *etcd, KubeAPIServer: *apiserver, Logs: logw})
	if err != nil {
		return fail(err)
	}
	defer srv.Stop()
	var version struct{ GitVersion string }
	if err := srv.Client.Do(ctx, "GET", "/version", "", nil, &version); err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "kube-apiserver %s ready in %s\n", version.GitVersion, time.Since(start).Round(time.Second))
	unchecked, err := apicheck.ParseUnchecked(apicheck.UncheckedFile)
	if err != nil {
		return fail(err)
	}
	provided, err := apicheck.ParseProvided(apicheck.ProvidedFile)
	if err != nil {
		return fail(err)
	}
	k := &apicheck.Checker{C: srv.Client, Unchecked: unchecked, Provided: provided}
	if err := k.InstallCRDs(ctx, crds); err != nil {
		return fail(err)
	}
	var results []apicheck.Result
	for _, c := range combos {
		r, err := k.Check(ctx, c.name, c.objs)
		if err != nil {
			return fail(fmt.Errorf("%s: %w", c.name, err))
		}
		results = append(results, r)
	}
	return apicheck.Report(stdout, results, crds)
}
