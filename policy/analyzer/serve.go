package analyzer

import (
	"fmt"
	"io"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// Serve serves srv on a port the kernel picks and writes that port, alone on a line, to out —
// the engine launches the pack binary and reads its first stdout line to learn where to dial.
// It returns when the server stops: when the engine kills the process, or when cancel (may be
// nil) is closed.
func Serve(srv pulumirpc.AnalyzerServer, out io.Writer, cancel chan bool) error {
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(g *grpc.Server) error {
			pulumirpc.RegisterAnalyzerServer(g, srv)
			return nil
		},
	})
	if err != nil {
		return fmt.Errorf("serving the policy pack: %w", err)
	}
	if _, err := fmt.Fprintf(out, "%d\n", handle.Port); err != nil {
		return err
	}
	return <-handle.Done
}
