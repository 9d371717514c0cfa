// Package shim exposes the upstream TLS provider (a Plugin Framework provider kept in an internal
// package) to the bridge in cloudlab.local/toolchain/plugins/tls.
package shim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"
	upstream "github.com/hashicorp/terraform-provider-tls/internal/provider"
)

// NewProvider returns the upstream provider.
func NewProvider() provider.Provider { return upstream.New() }
