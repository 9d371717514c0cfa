#!/usr/bin/env bash
# Build the Pulumi resource plugin pulumi-resource-random from Go modules.
#
#   scripts/plugins/random.sh OUT_DIR     builds OUT_DIR/pulumi-resource-random
#
# Why ourselves: the Go proxy refuses pulumi-random's provider module and the tagged versions of
# the upstream terraform-provider-random, but it serves the pseudo-version pulumi-random pins, so
# toolchain/plugins/random/ bridges it (a Plugin Framework provider, through a shim module), with
# the tokens of the pinned pulumi-random SDK (toolchain/plugins/gen_tokens.py). See
# toolchain/plugins/random/README.md.
# Called by scripts/plugins.sh, which caches the result by PLUGIN_VERSION and the module's hash.
set -euo pipefail

PLUGIN_VERSION=4.21.4
NAME=random

# shellcheck source=scripts/lib/plugin-build.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/plugin-build.sh"
# shellcheck source=scripts/lib/plugin-pf-build.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/plugin-pf-build.sh"
plugin_build_init "$@"
plugin_pf_build github.com/terraform-providers/terraform-provider-random
plugin_install
