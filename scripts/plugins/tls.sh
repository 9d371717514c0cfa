#!/usr/bin/env bash
# Build the Pulumi resource plugin pulumi-resource-tls from Go modules.
#
#   scripts/plugins/tls.sh OUT_DIR     builds OUT_DIR/pulumi-resource-tls
#
# Why ourselves: the Go proxy refuses pulumi-tls's provider module and the tagged versions of
# the upstream terraform-provider-tls, but it serves the pseudo-version pulumi-tls 5.3.x pins, so
# toolchain/plugins/tls/ bridges it (a Plugin Framework provider, through a shim module), with
# the tokens of the pinned pulumi-tls SDK (toolchain/plugins/gen_tokens.py). See
# toolchain/plugins/tls/README.md.
# Called by scripts/plugins.sh, which caches the result by PLUGIN_VERSION and the module's hash.
set -euo pipefail

PLUGIN_VERSION=5.3.1
NAME=tls

# shellcheck source=scripts/lib/plugin-build.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/plugin-build.sh"
# shellcheck source=scripts/lib/plugin-pf-build.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/plugin-pf-build.sh"
plugin_build_init "$@"
plugin_pf_build github.com/hashicorp/terraform-provider-tls
plugin_install
