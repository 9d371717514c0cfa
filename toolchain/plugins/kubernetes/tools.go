//go:build tools

// Package tools pins the Kubernetes resource provider (pulumi-kubernetes provider/v4) as a
// dependency of this wrapper module, so scripts/plugins/kubernetes.sh builds it with the exact
// versions in go.sum. The provider's own go.mod replaces sdk/v4 with a local path; that replace
// is ignored for a dependency, so go.sum here pins the published sdk/v4 it requires instead.
//
// The build script does not compile this file: it lays the provider's unchanged
// cmd/pulumi-resource-kubernetes/main.go and the two generated embed files over this directory
// with `go build -overlay` (files under GOMODCACHE may not be overlaid), so nothing is written
// to the module cache or to this directory.
package tools

import _ "github.com/pulumi/pulumi-kubernetes/provider/v4/cmd/pulumi-resource-kubernetes"
