// Command pulumi-resource-openstack is the bridged provider plugin. The schema written by tfgen is
// embedded at build time: scripts/plugins/openstack.sh substitutes schema.json through
// `go build -overlay`, so the committed placeholder never changes.
package main

import (
	_ "embed"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"

	openstack "cloudlab.local/toolchain/plugins/openstack"
)

//go:embed schema.json
var schema []byte

func main() {
	// The committed placeholder is "{}": a binary built without the real schema would answer
	// GetSchema with nothing, so refuse to start rather than fail obscurely in the engine.
	if len(schema) < 1024 {
		fmt.Fprintln(os.Stderr, "pulumi-resource-openstack was built without its schema; build it with scripts/plugins/openstack.sh")
		os.Exit(1)
	}
	tfbridge.Main("openstack", openstack.Version, openstack.MustProvider(), schema)
}
