// Package proxmoxve bridges the upstream Terraform provider bpg/terraform-provider-proxmox into the
// Pulumi provider "proxmoxve". Pulumi's own module of it is not served by the Go proxy, so we
// bridge the upstream provider ourselves; the tokens must be exactly those of the pinned
// pulumi-proxmoxve Python SDK, or the SDK's calls would name resources the plugin does not know.
//
// The upstream provider is two providers in one: most resources (containers, VMs of the
// "legacy" generation) are SDKv2, the newer ones are Plugin Framework. The bridge serves them
// as one Pulumi provider through its framework support (pkg/pf) and its muxer, which routes
// each token to the provider that has it (the dispatch table that tfgen writes into
// bridge-metadata.json).
package proxmoxve

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/bpg/terraform-provider-proxmox/fwprovider"
	"github.com/bpg/terraform-provider-proxmox/proxmoxtf/provider"
	pfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shim "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
)

// Version is the plugin version; the build sets it with
// -ldflags "-X cloudlab.local/toolchain/plugins/proxmoxve.Version=8.6.0".
var Version = "0.0.0-dev"

// UpstreamModule is the Go module of the Terraform provider we bridge.
const UpstreamModule = "github.com/bpg/terraform-provider-proxmox"

const (
	pkgName   = "proxmoxve"
	tfPrefix  = "proxmox_"
	tfLegacy  = "proxmox_virtual_environment_"
	repoURL   = "https://github.com/muhlba91/pulumi-proxmoxve"
	idRenamed = "resourceId"
)

// tokensJSON is written by gen_tokens.py from the installed SDK, so that the Go build needs no
// Python and the list is reviewable in git.
//
//go:embed tokens.json
var tokensJSON []byte

// metadataJSON is the bridge's metadata, above all the muxer's dispatch table (which token goes to
// the SDKv2 provider, which to the framework one). The committed file is "{}": tfgen computes the
// real one and scripts/plugins/proxmoxve.sh substitutes it with `go build -overlay`.
//
//go:embed bridge-metadata.json
var metadataJSON []byte

type tokenList struct {
	SDK       string   `json:"sdk"`
	Resources []string `json:"resources"`
	Functions []string `json:"functions"`
}

func loadTokens() (tokenList, error) {
	var t tokenList
	if err := json.Unmarshal(tokensJSON, &t); err != nil {
		return t, fmt.Errorf("tokens.json: %w", err)
	}
	if len(t.Resources) == 0 || len(t.Functions) == 0 {
		return t, fmt.Errorf("tokens.json lists no resources or no functions")
	}
	return t, nil
}

// moduleAndName splits a TF name by the SDK's naming rule: the last word is the name, the words
// between the prefix and it are the module path ("index" when there are none), and a name of the
// older "proxmox_virtual_environment_" generation gets the suffix "Legacy".
// proxmox_virtual_environment_container -> ("index", "ContainerLegacy");
// proxmox_sdn_zone_vlan -> ("sdn/zone", "Vlan").
func moduleAndName(tfName string) (string, string, error) {
	rest, legacy := strings.CutPrefix(tfName, tfLegacy)
	if !legacy {
		var ok bool
		if rest, ok = strings.CutPrefix(tfName, tfPrefix); !ok {
			return "", "", fmt.Errorf("TF name %q lacks the prefix %q", tfName, tfPrefix)
		}
	}
	words := strings.Split(rest, "_")
	for _, w := range words {
		if w == "" {
			return "", "", fmt.Errorf("TF name %q has an empty word", tfName)
		}
	}
	module := "index"
	if len(words) > 1 {
		module = strings.Join(words[:len(words)-1], "/")
	}
	name := strings.ToUpper(words[len(words)-1][:1]) + words[len(words)-1][1:]
	if legacy {
		name += "Legacy"
	}
	return module, name, nil
}

func lowerFirst(s string) string { return strings.ToLower(s[:1]) + s[1:] }

// resourceToken is the SDK's token of a TF resource ("proxmoxve:index/containerLegacy:ContainerLegacy").
func resourceToken(tfName string) (string, error) {
	module, name, err := moduleAndName(tfName)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s:%s/%s:%s", pkgName, module, lowerFirst(name), name), nil
}

// functionToken is the SDK's token of a TF data source ("proxmoxve:index/getVmLegacy:getVmLegacy").
func functionToken(tfName string) (string, error) {
	module, name, err := moduleAndName(tfName)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s:%s/get%s:get%s", pkgName, module, name, name), nil
}

// idIsOwnField: a resource whose TF "id" is set by the user (a storage's or an SDN zone's name) or
// is a number (a VM's id). Pulumi reserves "id" for the resource's ID, a computed string, so the
// SDK exposes that attribute as "resourceId" and the ID is computed from it.
func idIsOwnField(r shim.Resource) bool {
	s, ok := r.Schema().GetOk("id")
	return ok && (s.Optional() || s.Required() || s.Type() != shim.TypeString)
}

// idNames are the hand fixes of that renamed "id": the SDK calls it "resourceId" except here
// (checked for every resource by tests/toolchain/test_proxmoxve_plugin.py).
var idNames = map[string]string{
	// Added upstream after the others; pulumi-proxmoxve left it to its newer bridge's own naming.
	"proxmox_sdn_controller_evpn": "sdnControllerEvpnId",
}

// idFrom is the Pulumi ID of such a resource: the value of its renamed "id" property, a number
// written as an integer ("4201", not "4201.0").
func idFrom(field string) tfbridge.ComputeID {
	key := resource.PropertyKey(field)
	return func(_ context.Context, state resource.PropertyMap) (resource.ID, error) {
		v, ok := state[key]
		if ok && v.IsSecret() {
			v = v.SecretValue().Element
		}
		switch {
		case !ok || v.IsNull():
			return "", fmt.Errorf("no %q in the state to take the ID from", field)
		case v.IsString():
			return resource.ID(v.StringValue()), nil
		case v.IsNumber():
			return resource.ID(strconv.FormatFloat(v.NumberValue(), 'f', -1, 64)), nil
		}
		return "", fmt.Errorf("%q is a %s, not a string or a number", field, v.TypeString())
	}
}

// Provider returns the bridge description of the provider. It fails when the SDK's tokens and the
// upstream provider's TF names do not correspond one to one, because a silently unmapped
// resource would be missing from the schema, and an extra one would be one the SDK cannot use.
func Provider() (tfbridge.ProviderInfo, error) {
	list, err := loadTokens()
	if err != nil {
		return tfbridge.ProviderInfo{}, err
	}
	wantRes := map[string]bool{}
	for _, t := range list.Resources {
		wantRes[t] = true
	}
	wantFns := map[string]bool{}
	for _, t := range list.Functions {
		wantFns[t] = true
	}

	p := pfbridge.MuxShimWithPF(context.Background(),
		shimv2.NewProvider(provider.ProxmoxVirtualEnvironment()), fwprovider.New(Version)())

	var problems []string
	resources := map[string]*tfbridge.ResourceInfo{}
	p.ResourcesMap().Range(func(name string, r shim.Resource) bool {
		tok, err := resourceToken(name)
		switch {
		case err != nil:
			problems = append(problems, err.Error())
		case !wantRes[tok]:
			problems = append(problems, fmt.Sprintf("TF resource %s: the SDK has no token %s", name, tok))
		default:
			info := &tfbridge.ResourceInfo{Tok: tokens.Type(tok)}
			if idIsOwnField(r) {
				field := idRenamed
				if n, ok := idNames[name]; ok {
					field = n
				}
				// A string in the SDK even where TF has a number (a VM's id).
				info.Fields = map[string]*tfbridge.SchemaInfo{"id": {Name: field, Type: "string"}}
				info.ComputeID = idFrom(field)
			}
			resources[name] = info
			delete(wantRes, tok)
		}
		return true
	})
	dataSources := map[string]*tfbridge.DataSourceInfo{}
	p.DataSourcesMap().Range(func(name string, _ shim.Resource) bool {
		tok, err := functionToken(name)
		switch {
		case err != nil:
			problems = append(problems, err.Error())
		case !wantFns[tok]:
			problems = append(problems, fmt.Sprintf("TF data source %s: the SDK has no token %s", name, tok))
		default:
			dataSources[name] = &tfbridge.DataSourceInfo{Tok: tokens.ModuleMember(tok)}
			delete(wantFns, tok)
		}
		return true
	})
	for tok := range wantRes {
		problems = append(problems, "SDK resource "+tok+" has no TF resource upstream")
	}
	for tok := range wantFns {
		problems = append(problems, "SDK function "+tok+" has no TF data source upstream")
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return tfbridge.ProviderInfo{}, fmt.Errorf("%s does not match the upstream provider:\n  %s",
			list.SDK, strings.Join(problems, "\n  "))
	}

	info := tfbridge.ProviderInfo{
		P:            p,
		Name:         "proxmox",
		Version:      Version,
		GitHubOrg:    "bpg",
		DisplayName:  "Proxmox Virtual Environment (Proxmox VE)",
		Publisher:    "cloudlab (bridged locally)",
		Description:  "A Pulumi package for creating and managing Proxmox Virtual Environment cloud resources.",
		Keywords:     []string{"proxmox", "proxmoxve"},
		License:      "Apache-2.0",
		Homepage:     repoURL,
		Repository:   repoURL,
		Resources:    resources,
		DataSources:  dataSources,
		MetadataInfo: tfbridge.NewProviderMetadata(metadataJSON),
	}
	// As pulumi-proxmoxve does: a resource's "name", when it has one and it is not given,
	// is the Pulumi name plus a random suffix.
	info.SetAutonaming(255, "-")
	return info, nil
}

// MustProvider is Provider for main packages, which have nothing better to do than stop.
func MustProvider() tfbridge.ProviderInfo {
	info, err := Provider()
	if err != nil {
		panic(err)
	}
	return info
}
