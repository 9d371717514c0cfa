// Package shim exposes the upstream random provider (a Plugin Framework provider kept in an
// internal package) to the bridge in cloudlab.local/toolchain/plugins/random.
package shim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"
	upstream "github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// NewProvider returns the upstream provider.
func NewProvider() provider.Provider { return upstream.New() }
