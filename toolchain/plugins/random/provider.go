// Package random bridges the upstream Terraform provider terraform-provider-random (a Plugin
// Framework provider) into the Pulumi provider "random". Pulumi's own module of it is not served
// by the Go proxy, so we bridge the upstream provider ourselves, at the pseudo-version that
// pulumi-random pins; the tokens must be exactly those of the pinned pulumi-random Python SDK, or
// the SDK's calls would name resources the plugin does not know.
package random

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	pfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shim "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	upstream "github.com/terraform-providers/terraform-provider-random/shim"
)

// Version is the plugin version; the build sets it with
// -ldflags "-X cloudlab.local/toolchain/plugins/random.Version=4.21.4".
var Version = "0.0.0-dev"

// UpstreamModule is the Go module of the Terraform provider we bridge.
const UpstreamModule = "github.com/terraform-providers/terraform-provider-random"

const (
	pkgName  = "random"
	tfPrefix = "random_"
	repoURL  = "https://github.com/pulumi/pulumi-random"
)

// tokensJSON is written by ../gen_tokens.py from the installed SDK, so that the Go build needs no
// Python and the list is reviewable in git.
//
//go:embed tokens.json
var tokensJSON []byte

// metadataJSON is the bridge's metadata; the committed file is "{}": tfgen computes the real one
// and scripts/lib/plugin-pf-build.sh substitutes it with `go build -overlay`.
//
//go:embed bridge-metadata.json
var metadataJSON []byte

type tokenList struct {
	SDK       string   `json:"sdk"`
	Resources []string `json:"resources"`
	Functions []string `json:"functions"`
}

// resourceToken is the SDK's token of a TF resource: random_password ->
// "random:index/randomPassword:RandomPassword" (every resource in one module, named "Random" plus
// the camel-cased TF name).
func resourceToken(tfName string) (string, error) {
	rest, ok := strings.CutPrefix(tfName, tfPrefix)
	if !ok || rest == "" {
		return "", fmt.Errorf("TF name %q lacks the prefix %q", tfName, tfPrefix)
	}
	name := "Random"
	for _, w := range strings.Split(rest, "_") {
		if w == "" {
			return "", fmt.Errorf("TF name %q has an empty word", tfName)
		}
		name += strings.ToUpper(w[:1]) + w[1:]
	}
	return fmt.Sprintf("%s:index/%s:%s", pkgName, strings.ToLower(name[:1])+name[1:], name), nil
}

// bytesID is random_bytes's ID: its base64 value, as pulumi-random computes it (the resource has
// no "id" attribute of its own).
func bytesID(_ context.Context, state resource.PropertyMap) (resource.ID, error) {
	v, ok := state["base64"]
	if ok && v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !ok || !v.IsString() {
		return "", errors.New("random_bytes: no base64 string in the state to take the ID from")
	}
	return resource.ID(v.StringValue()), nil
}

// Provider returns the bridge description of the provider. It fails when the SDK's tokens and the
// upstream provider's TF names do not correspond one to one: a silently unmapped resource would be
// missing from the schema, an extra one would be one the SDK cannot use.
func Provider() (tfbridge.ProviderInfo, error) {
	var list tokenList
	if err := json.Unmarshal(tokensJSON, &list); err != nil {
		return tfbridge.ProviderInfo{}, fmt.Errorf("tokens.json: %w", err)
	}
	want := map[string]bool{}
	for _, t := range list.Resources {
		want[t] = true
	}
	p := pfbridge.ShimProvider(upstream.NewProvider())

	var problems []string
	resources := map[string]*tfbridge.ResourceInfo{}
	p.ResourcesMap().Range(func(name string, _ shim.Resource) bool {
		tok, err := resourceToken(name)
		switch {
		case err != nil:
			problems = append(problems, err.Error())
		case !want[tok]:
			problems = append(problems, fmt.Sprintf("TF resource %s: the SDK has no token %s", name, tok))
		default:
			resources[name] = &tfbridge.ResourceInfo{Tok: tokens.Type(tok)}
			delete(want, tok)
		}
		return true
	})
	p.DataSourcesMap().Range(func(name string, _ shim.Resource) bool {
		problems = append(problems, "TF data source "+name+": the SDK has no functions")
		return true
	})
	for tok := range want {
		problems = append(problems, "SDK resource "+tok+" has no TF resource upstream")
	}
	if len(list.Functions) > 0 {
		problems = append(problems, "tokens.json lists functions; the upstream provider has none")
	}
	if len(resources) == 0 {
		problems = append(problems, "no resource mapped at all")
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return tfbridge.ProviderInfo{}, fmt.Errorf("%s does not match the upstream provider:\n  %s",
			list.SDK, strings.Join(problems, "\n  "))
	}
	if r := resources["random_bytes"]; r != nil {
		r.ComputeID = bytesID
	}
	return tfbridge.ProviderInfo{
		P:            p,
		Name:         pkgName,
		Version:      Version,
		GitHubOrg:    "hashicorp",
		Publisher:    "cloudlab (bridged locally)",
		Description:  "A Pulumi package to safely use randomness in Pulumi programs.",
		Keywords:     []string{"pulumi", "random"},
		License:      "Apache-2.0",
		Homepage:     repoURL,
		Repository:   repoURL,
		Resources:    resources,
		MetadataInfo: tfbridge.NewProviderMetadata(metadataJSON),
	}, nil
}

// MustProvider is Provider for main packages, which have nothing better to do than stop.
func MustProvider() tfbridge.ProviderInfo {
	info, err := Provider()
	if err != nil {
		panic(err)
	}
	return info
}
