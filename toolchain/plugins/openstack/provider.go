// Package openstack bridges the upstream Terraform OpenStack provider into the Pulumi provider
// "openstack". The Pulumi provider module itself is refused by the Go proxy, so we bridge the
// upstream provider ourselves; the tokens must be exactly those of the pinned pulumi-openstack
// Python SDK, or the SDK's calls would name resources the plugin does not know.
package openstack

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	tfopenstack "github.com/terraform-provider-openstack/terraform-provider-openstack/v3/openstack"
)

// Version is the plugin version; the build sets it with
// -ldflags "-X cloudlab.local/toolchain/plugins/openstack.Version=5.5.3".
var Version = "0.0.0-dev"

// UpstreamModule is the Go module of the Terraform provider we bridge.
const UpstreamModule = "github.com/terraform-provider-openstack/terraform-provider-openstack/v3"

// tokensJSON is written by gen_tokens.py from the installed SDK, so that the Go build needs no
// Python and the map is reviewable in git.
//
//go:embed tokens.json
var tokensJSON []byte

// tokenMap mirrors tokens.json.
type tokenMap struct {
	Resources         map[string]string `json:"resources"`   // TF resource name -> Pulumi type token
	DataSources       map[string]string `json:"dataSources"` // TF data source name -> Pulumi function token
	ResourceAliases   []alias           `json:"resourceAliases"`
	DataSourceAliases []alias           `json:"dataSourceAliases"`
}

// alias is a legacy token the SDK still exposes for an existing TF resource or data source.
type alias struct {
	Token       string `json:"token"`
	Target      string `json:"target"` // TF name it stands for
	Deprecation string `json:"deprecation"`
}

func loadTokens() (tokenMap, error) {
	var m tokenMap
	if err := json.Unmarshal(tokensJSON, &m); err != nil {
		return m, fmt.Errorf("tokens.json: %w", err)
	}
	if len(m.Resources) == 0 || len(m.DataSources) == 0 {
		return m, fmt.Errorf("tokens.json maps no resources or no data sources")
	}
	return m, nil
}

// fieldNames are the hand fixes of property names: TF attribute -> Pulumi name, where the SDK's
// name is not the bridge's default (checked for every resource by
// tests/toolchain/test_openstack_plugin.py).
var fieldNames = map[string]map[string]string{
	// The SDK calls TF's "outputs" "StackOutputs" (pulumi-openstack renamed it, a clash of names).
	"openstack_orchestration_stack_v1": {"outputs": "StackOutputs"},
}

// aliasName is the private TF name under which a legacy alias is registered: the bridge maps
// one TF name to one token, so a second token needs a second name for the same schema.
func aliasName(a alias) string {
	return a.Target + "_alias_" + strings.ToLower(strings.NewReplacer(":", "_", "/", "_").Replace(a.Token))
}

// docsFile names the upstream markdown file of a TF name (docs/<kind>/<name without openstack_>.md).
func docsFile(tfName string) string { return strings.TrimPrefix(tfName, "openstack_") + ".md" }

// Provider returns the bridge description of the provider. It fails when tokens.json and the
// upstream provider disagree, because a silently unmapped resource would be missing from the schema.
func Provider() (tfbridge.ProviderInfo, error) {
	m, err := loadTokens()
	if err != nil {
		return tfbridge.ProviderInfo{}, err
	}
	up := tfopenstack.Provider()

	resources := map[string]*tfbridge.ResourceInfo{}
	for name, tok := range m.Resources {
		if _, ok := up.ResourcesMap[name]; !ok {
			return tfbridge.ProviderInfo{}, fmt.Errorf("tokens.json: no TF resource %s upstream", name)
		}
		resources[name] = &tfbridge.ResourceInfo{Tok: tokens.Type(tok)}
	}
	for name, fields := range fieldNames {
		info, ok := resources[name]
		if !ok {
			return tfbridge.ProviderInfo{}, fmt.Errorf("field renames for unmapped TF resource %s", name)
		}
		info.Fields = map[string]*tfbridge.SchemaInfo{}
		for tf, pulumiName := range fields {
			info.Fields[tf] = &tfbridge.SchemaInfo{Name: pulumiName}
		}
	}
	dataSources := map[string]*tfbridge.DataSourceInfo{}
	for name, tok := range m.DataSources {
		if _, ok := up.DataSourcesMap[name]; !ok {
			return tfbridge.ProviderInfo{}, fmt.Errorf("tokens.json: no TF data source %s upstream", name)
		}
		dataSources[name] = &tfbridge.DataSourceInfo{Tok: tokens.ModuleMember(tok)}
	}
	var missing []string
	for name := range up.ResourcesMap {
		if _, ok := resources[name]; !ok {
			missing = append(missing, "resource "+name)
		}
	}
	for name := range up.DataSourcesMap {
		if _, ok := dataSources[name]; !ok {
			missing = append(missing, "data source "+name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return tfbridge.ProviderInfo{}, fmt.Errorf("tokens.json does not map: %s", strings.Join(missing, ", "))
	}

	// Legacy aliases: register the same upstream schema under a second name.
	for _, a := range m.ResourceAliases {
		target, ok := up.ResourcesMap[a.Target]
		if !ok {
			return tfbridge.ProviderInfo{}, fmt.Errorf("alias %s: no TF resource %s", a.Token, a.Target)
		}
		up.ResourcesMap[aliasName(a)] = target
		resources[aliasName(a)] = &tfbridge.ResourceInfo{
			Tok:                tokens.Type(a.Token),
			DeprecationMessage: a.Deprecation,
			Docs:               &tfbridge.DocInfo{Source: docsFile(a.Target)},
		}
	}
	for _, a := range m.DataSourceAliases {
		target, ok := up.DataSourcesMap[a.Target]
		if !ok {
			return tfbridge.ProviderInfo{}, fmt.Errorf("alias %s: no TF data source %s", a.Token, a.Target)
		}
		up.DataSourcesMap[aliasName(a)] = target
		dataSources[aliasName(a)] = &tfbridge.DataSourceInfo{
			Tok:                tokens.ModuleMember(a.Token),
			DeprecationMessage: a.Deprecation,
			Docs:               &tfbridge.DocInfo{Source: docsFile(a.Target)},
		}
	}

	return tfbridge.ProviderInfo{
		P:         shimv2.NewProvider(up),
		Name:      "openstack",
		Version:   Version,
		GitHubOrg: "terraform-provider-openstack",
		// Without it tfgen looks for the docs in the unversioned module and finds none.
		TFProviderModuleVersion: "v3",
		DisplayName:             "OpenStack",
		Publisher:               "Pulumi",
		Description:             "A Pulumi package for creating and managing OpenStack cloud resources.",
		Keywords:                []string{"pulumi", "openstack"},
		License:                 "Apache-2.0",
		Homepage:                "https://pulumi.io",
		Repository:              "https://github.com/pulumi/pulumi-openstack",
		Resources:               resources,
		DataSources:             dataSources,
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
