// Command pulumi-tfgen-proxmoxve writes the Pulumi schema of the bridged provider and the bridge's
// metadata (`schema --skip-examples --out DIR`: schema.json and bridge-metadata.json), which the
// provider binary then embeds.
package main

import (
	"fmt"
	"os"

	pfgen "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	proxmoxve "cloudlab.local/toolchain/plugins/proxmoxve"
)

// upstreamDirEnv names the upstream module's source directory, where tfgen reads the docs of the
// SDKv2 resources. The bridge would otherwise run `go mod download` in ./provider (the layout of
// Pulumi's own provider repositories, not ours) and write a schema without those docs.
const upstreamDirEnv = "CLOUDLAB_UPSTREAM_DIR"

func main() {
	info := proxmoxve.MustProvider()
	dir := os.Getenv(upstreamDirEnv)
	if dir == "" {
		fmt.Fprintf(os.Stderr, "%s is not set: run scripts/plugins/proxmoxve.sh, which sets it to "+
			"`go list -m -f {{.Dir}} %s`\n", upstreamDirEnv, proxmoxve.UpstreamModule)
		os.Exit(2)
	}
	info.UpstreamRepoPath = dir
	// Framework and SDKv2 resources in one schema, and the muxer's dispatch table in the metadata.
	pfgen.MainWithMuxer("proxmoxve", info)
}
