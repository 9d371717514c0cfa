// Package tls bridges the upstream Terraform provider terraform-provider-tls (a Plugin Framework
// provider) into the Pulumi provider "tls". Pulumi's own module of it is not served by the Go
// proxy, so we bridge the upstream provider ourselves (see README.md for the version); the tokens
// must be exactly those of the pinned pulumi-tls Python SDK, or the SDK's calls would name
// resources the plugin does not know.
package tls

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	upstream "github.com/hashicorp/terraform-provider-tls/shim"
	pfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shim "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
)

// Version is the plugin version; the build sets it with
// -ldflags "-X cloudlab.local/toolchain/plugins/tls.Version=5.3.1".
var Version = "0.0.0-dev"

// UpstreamModule is the Go module of the Terraform provider we bridge.
const UpstreamModule = "github.com/hashicorp/terraform-provider-tls"

const (
	pkgName  = "tls"
	tfPrefix = "tls_"
	repoURL  = "https://github.com/pulumi/pulumi-tls"
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

// camel joins the words of a TF name without its prefix: tls_private_key -> "PrivateKey".
func camel(tfName string) (string, error) {
	rest, ok := strings.CutPrefix(tfName, tfPrefix)
	if !ok || rest == "" {
		return "", fmt.Errorf("TF name %q lacks the prefix %q", tfName, tfPrefix)
	}
	name := ""
	for _, w := range strings.Split(rest, "_") {
		if w == "" {
			return "", fmt.Errorf("TF name %q has an empty word", tfName)
		}
		name += strings.ToUpper(w[:1]) + w[1:]
	}
	return name, nil
}

// token is the SDK's token of a TF resource (tls_private_key -> "tls:index/privateKey:PrivateKey")
// or, with get, of a data source (tls_public_key -> "tls:index/getPublicKey:getPublicKey").
func token(tfName string, get bool) (string, error) {
	name, err := camel(tfName)
	if err != nil {
		return "", err
	}
	if get {
		name = "get" + name
	}
	return fmt.Sprintf("%s:index/%s:%s", pkgName, strings.ToLower(name[:1])+name[1:], name), nil
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
	for _, t := range append(append([]string{}, list.Resources...), list.Functions...) {
		want[t] = true
	}
	p := pfbridge.ShimProvider(upstream.NewProvider())

	var problems []string
	match := func(kind, name string, get bool) (string, bool) {
		tok, err := token(name, get)
		switch {
		case err != nil:
			problems = append(problems, err.Error())
		case !want[tok]:
			problems = append(problems, fmt.Sprintf("TF %s %s: the SDK has no token %s", kind, name, tok))
		default:
			delete(want, tok)
			return tok, true
		}
		return "", false
	}
	resources := map[string]*tfbridge.ResourceInfo{}
	p.ResourcesMap().Range(func(name string, _ shim.Resource) bool {
		if tok, ok := match("resource", name, false); ok {
			resources[name] = &tfbridge.ResourceInfo{Tok: tokens.Type(tok)}
		}
		return true
	})
	dataSources := map[string]*tfbridge.DataSourceInfo{}
	p.DataSourcesMap().Range(func(name string, _ shim.Resource) bool {
		if tok, ok := match("data source", name, true); ok {
			dataSources[name] = &tfbridge.DataSourceInfo{Tok: tokens.ModuleMember(tok)}
		}
		return true
	})
	for tok := range want {
		problems = append(problems, "SDK token "+tok+" has no TF resource or data source upstream")
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return tfbridge.ProviderInfo{}, fmt.Errorf("%s does not match the upstream provider:\n  %s",
			list.SDK, strings.Join(problems, "\n  "))
	}
	return tfbridge.ProviderInfo{
		P:            p,
		Name:         pkgName,
		Version:      Version,
		GitHubOrg:    "hashicorp",
		Publisher:    "cloudlab (bridged locally)",
		Description:  "A Pulumi package to create TLS resources in Pulumi programs.",
		Keywords:     []string{"pulumi", "tls"},
		License:      "Apache-2.0",
		Homepage:     repoURL,
		Repository:   repoURL,
		Resources:    resources,
		DataSources:  dataSources,
		MetadataInfo: tfbridge.NewProviderMetadata(metadataJSON),
		// As pulumi-tls: the upstream resources have no schema version of their own.
		EnableZeroDefaultSchemaVersion: true,
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
