# shellcheck shell=bash
# The four build steps of a plugin bridged from a Plugin Framework provider whose code is internal
# to its module and reached through a shim module (toolchain/plugins/<name>/shim, a `replace` in
# the plugin's go.mod): random and tls. Source it after plugin-build.sh and plugin_build_init.
#
#   plugin_pf_build UPSTREAM      UPSTREAM is the Terraform provider's module path (where tfgen
#                                 reads its docs); builds $tmp/pulumi-resource-$NAME
#
# Steps: download the modules, build the tfgen, let it write the schema and the bridge metadata,
# build the provider with both embedded. The committed cmd/provider/schema.json and
# bridge-metadata.json are placeholders: the real ones are substituted with `go build -overlay`,
# so the repo tree never changes and nothing is copied.
# scripts/plugins.sh counts this file in the cache key of every plugin script that names it.

plugin_pf_build() {
	local upstream_mod=$1 upstream
	step 1 "download Go modules" "seconds when the proxmoxve plugin was built" go -C "$MOD" mod download -x
	step 2 "compile the tfgen" \
		"a few minutes of CPU with an empty build cache, far less after the proxmoxve plugin (same bridge and versions)" \
		go -C "$MOD" build -v -ldflags "$ldflags" -o "$tmp/pulumi-tfgen-$NAME" ./cmd/tfgen
	upstream=$(go -C "$MOD" list -m -f '{{.Dir}}' "$upstream_mod") || die "cannot resolve $upstream_mod"
	step 3 "generate the schema (tfgen schema --skip-examples)" "~5 s" \
		env -C "$tmp" CLOUDLAB_UPSTREAM_DIR="$upstream" \
		"$tmp/pulumi-tfgen-$NAME" schema --skip-examples --out "$tmp/schema"
	[ -s "$tmp/schema/schema.json" ] || die "tfgen wrote no schema.json"
	[ -s "$tmp/schema/bridge-metadata.json" ] || die "tfgen wrote no bridge-metadata.json"
	printf '{"Replace": {"%s": "%s", "%s": "%s"}}\n' \
		"$MOD/cmd/provider/schema.json" "$tmp/schema/schema.json" \
		"$MOD/bridge-metadata.json" "$tmp/schema/bridge-metadata.json" >"$tmp/overlay.json"
	step 4 "build pulumi-resource-$NAME with the schema and metadata embedded" "~20 s" go -C "$MOD" build -v \
		-overlay "$tmp/overlay.json" -ldflags "$ldflags" -o "$tmp/pulumi-resource-$NAME" ./cmd/provider
}
