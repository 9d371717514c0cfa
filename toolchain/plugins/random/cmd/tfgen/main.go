// Command pulumi-tfgen-random writes the Pulumi schema of the bridged provider and the bridge's
// metadata (`schema --skip-examples --out DIR`: schema.json and bridge-metadata.json), which the
// provider binary then embeds.
package main

import (
	"fmt"
	"os"

	pfgen "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	random "cloudlab.local/toolchain/plugins/random"
)

// upstreamDirEnv names the upstream module's source directory, where tfgen reads the docs.
const upstreamDirEnv = "CLOUDLAB_UPSTREAM_DIR"

func main() {
	info := random.MustProvider()
	dir := os.Getenv(upstreamDirEnv)
	if dir == "" {
		fmt.Fprintf(os.Stderr, "%s is not set: run scripts/plugins/random.sh, which sets it to "+
			"`go list -m -f {{.Dir}} %s`\n", upstreamDirEnv, random.UpstreamModule)
		os.Exit(2)
	}
	info.UpstreamRepoPath = dir
	pfgen.Main("random", info)
}
