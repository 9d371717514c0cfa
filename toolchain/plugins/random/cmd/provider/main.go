// Command pulumi-resource-random is the bridged provider plugin. The schema and the bridge
// metadata written by tfgen are embedded at build time: scripts/lib/plugin-pf-build.sh
// substitutes schema.json and ../../bridge-metadata.json through `go build -overlay`, so the
// committed placeholders never change.
package main

import (
	"context"
	_ "embed"
	"fmt"
	"os"

	pfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"

	random "cloudlab.local/toolchain/plugins/random"
)

//go:embed schema.json
var schema []byte

func main() {
	// The committed placeholder is "{}": a binary built without the real schema would answer
	// GetSchema with nothing, so refuse to start rather than fail obscurely in the engine.
	if len(schema) < 1024 {
		fmt.Fprintln(os.Stderr, "pulumi-resource-random was built without its schema; build it with scripts/plugins/random.sh")
		os.Exit(1)
	}
	pfbridge.Main(context.Background(), "random", random.MustProvider(),
		pfbridge.ProviderMetadata{PackageSchema: schema})
}
