// Command pulumi-tfgen-openstack writes the Pulumi schema of the bridged provider
// (`schema --skip-examples --out DIR`), which the provider binary then embeds.
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"

	openstack "cloudlab.local/toolchain/plugins/openstack"
)

// upstreamDirEnv names the upstream module's source directory. The bridge would otherwise run
// `go mod download` in ./provider (the layout of Pulumi's own provider repositories, not ours)
// and, failing, write a schema without any documentation.
const upstreamDirEnv = "CLOUDLAB_UPSTREAM_DIR"

func main() {
	info := openstack.MustProvider()
	dir := os.Getenv(upstreamDirEnv)
	if dir == "" {
		fmt.Fprintf(os.Stderr, "%s is not set: run scripts/plugins/openstack.sh, which sets it to "+
			"`go list -m -f {{.Dir}} %s`\n", upstreamDirEnv, openstack.UpstreamModule)
		os.Exit(2)
	}
	info.UpstreamRepoPath = dir
	tfgen.Main("openstack", openstack.Version, info)
}
