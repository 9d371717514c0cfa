"""Support of the Kubernetes tests: mocks with plausible pulumi-tls and pulumi-random outputs.

``K8sMocks`` extends the shared ``RecordingMocks`` (tests/harness.py) with the computed
outputs these providers return: a real CA certificate (tests/kubernetes/fixtures/ca.crt, whose
public-key pin was computed with openssl), fake PEM keys, and token parts drawn from
``[a-z0-9]``. :func:`run_k8s_stack` runs a stack module's ``run`` under these mocks.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pulumi

from tests.harness import Recording, RecordingMocks, run_program

FIXTURES = Path(__file__).parent / "fixtures"
CA_CERT_PEM = (FIXTURES / "ca.crt").read_text()
# openssl x509 -in ca.crt -pubkey -noout | openssl pkey -pubin -outform der | sha256sum
CA_CERT_HASH = "sha256:ccb41c577bba90b03549ee3e3b9b29a8e69bef766e611d9baa89362e3f46be25"
ADMIN_CERT_PEM = "-----BEGIN CERTIFICATE-----\nQURNSU4tQ0VSVA==\n-----END CERTIFICATE-----\n"


def fake_key(name: str) -> str:
    return f"-----BEGIN RSA PRIVATE KEY-----\nMOCK-KEY-{name}\n-----END RSA PRIVATE KEY-----\n"


def token_part(name: str, length: int) -> str:
    """Deterministic [a-z0-9] string, as RandomPassword(lower, numeric) would give."""
    return hashlib.sha256(name.encode()).hexdigest()[:length]


class K8sMocks(RecordingMocks):
    """RecordingMocks plus the computed outputs of pulumi-tls and pulumi-random."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id, outputs = super().new_resource(args)
        # Which provider each resource was registered with ("urn::id" reference).
        providers = getattr(self.recording, "providers", {})
        providers[args.name] = args.provider or ""
        self.recording.providers = providers  # type: ignore[attr-defined]
        if args.typ == "tls:index/privateKey:PrivateKey":
            outputs["privateKeyPem"] = fake_key(args.name)
            outputs["publicKeyPem"] = f"PUBLIC-{args.name}"
        elif args.typ == "tls:index/selfSignedCert:SelfSignedCert":
            outputs["certPem"] = CA_CERT_PEM
        elif args.typ == "tls:index/certRequest:CertRequest":
            outputs["certRequestPem"] = f"CSR-{args.name}"
        elif args.typ == "tls:index/locallySignedCert:LocallySignedCert":
            outputs["certPem"] = ADMIN_CERT_PEM
        elif args.typ == "random:index/randomPassword:RandomPassword":
            outputs["result"] = token_part(args.name, int(args.inputs["length"]))
        return resource_id, outputs


def run_k8s_stack(
    module: str,
    config: dict[str, Any] | None = None,
    recording: Recording | None = None,
    secret_keys: Iterable[str] = (),
) -> Recording:
    """Run ``stacks.<module>.run`` under K8sMocks with a ``{"cloudlab:key": value}`` config
    (``secret_keys``: the keys set with ``--secret``)."""
    stack_module = importlib.import_module(f"stacks.{module}")

    def program() -> None:
        stack_module.run(pulumi.Config("cloudlab"))

    return run_program(
        program, config or {}, recording=recording, mocks_class=K8sMocks, secret_keys=secret_keys
    )
