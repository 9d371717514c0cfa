"""The kubeadm cluster's bootstrap secrets, as resources: nothing is fetched from a node by SSH.

* the bootstrap token: two ``random.RandomPassword`` parts, ``[a-z0-9]{6}.[a-z0-9]{16}``;
* the cluster CA: ``tls.PrivateKey`` + ``tls.SelfSignedCert`` (is_ca_certificate), written to
  ``/etc/kubernetes/pki`` on the master before ``kubeadm init``, which then signs every other
  certificate with it; the workers pin its public key with
  ``--discovery-token-ca-cert-hash``;
* an admin client certificate (``system:masters``) signed by the CA
  (``tls.LocallySignedCert``), from which the kubeconfig is built.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_random as random
import pulumi_tls as tls

from components.kubeadm.pki import ca_cert_hash

CA_VALIDITY_HOURS = 10 * 365 * 24
ADMIN_VALIDITY_HOURS = 365 * 24
ADMIN_EARLY_RENEWAL_HOURS = 30 * 24


@dataclass
class ClusterPkiArgs:
    """Arguments of :class:`ClusterPki`."""

    cluster_name: str
    """Prefix of every secret's resource name (``<cluster>-ca-key``...): the names a cluster
    deployed before the PKI was its own component holds in its state."""


class ClusterPki(pulumi.ComponentResource):
    """The bootstrap token, the cluster CA and the admin client certificate.

    Its children keep the resource names and, through an alias to the component's parent
    (the cluster), the URNs they had as the cluster's own children.
    """

    bootstrap_token: pulumi.Output[str]
    """``<id>.<secret>``, secret."""
    ca_cert_pem: pulumi.Output[str]
    ca_key_pem: pulumi.Output[str]
    """Secret: only the master's user data carries it."""
    ca_cert_hash: pulumi.Output[str]
    """``sha256:<hex>`` of the CA's public key, what the workers pin."""
    admin_cert_pem: pulumi.Output[str]
    admin_key_pem: pulumi.Output[str]
    """Secret."""

    def __init__(
        self, name: str, args: ClusterPkiArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudlab:kubernetes:ClusterPki", name, None, opts)
        prefix = args.cluster_name
        parent = opts.parent if opts is not None else None
        child = pulumi.ResourceOptions(
            parent=self,
            aliases=[pulumi.Alias(parent=parent)] if parent is not None else None,
        )
        token_id = _token_part(f"{prefix}-token-id", 6, child)
        token_secret = _token_part(f"{prefix}-token-secret", 16, child)
        self.bootstrap_token = pulumi.Output.secret(
            pulumi.Output.concat(token_id.result, ".", token_secret.result)
        )
        ca_key = tls.PrivateKey(f"{prefix}-ca-key", algorithm="RSA", rsa_bits=2048, opts=child)
        ca_cert = tls.SelfSignedCert(
            f"{prefix}-ca",
            private_key_pem=ca_key.private_key_pem,
            is_ca_certificate=True,
            subject=tls.SelfSignedCertSubjectArgs(common_name="kubernetes"),
            validity_period_hours=CA_VALIDITY_HOURS,
            allowed_uses=["cert_signing", "crl_signing", "digital_signature", "key_encipherment"],
            opts=child,
        )
        admin_key = tls.PrivateKey(
            f"{prefix}-admin-key", algorithm="RSA", rsa_bits=2048, opts=child
        )
        admin_csr = tls.CertRequest(
            f"{prefix}-admin-csr",
            private_key_pem=admin_key.private_key_pem,
            subject=tls.CertRequestSubjectArgs(
                common_name="kubernetes-admin", organization="system:masters"
            ),
            opts=child,
        )
        admin_cert = tls.LocallySignedCert(
            f"{prefix}-admin-cert",
            cert_request_pem=admin_csr.cert_request_pem,
            ca_private_key_pem=ca_key.private_key_pem,
            ca_cert_pem=ca_cert.cert_pem,
            validity_period_hours=ADMIN_VALIDITY_HOURS,
            early_renewal_hours=ADMIN_EARLY_RENEWAL_HOURS,
            allowed_uses=["client_auth", "digital_signature", "key_encipherment"],
            opts=child,
        )
        self.ca_cert_pem = ca_cert.cert_pem
        self.ca_key_pem = pulumi.Output.secret(ca_key.private_key_pem)
        self.ca_cert_hash = ca_cert.cert_pem.apply(ca_cert_hash)
        self.admin_cert_pem = admin_cert.cert_pem
        self.admin_key_pem = pulumi.Output.secret(admin_key.private_key_pem)
        self.register_outputs({"ca_cert_pem": self.ca_cert_pem, "ca_cert_hash": self.ca_cert_hash})


def _token_part(name: str, length: int, opts: pulumi.ResourceOptions) -> random.RandomPassword:
    """One half of the bootstrap token; its ``result`` is encrypted in the state.

    A ``RandomPassword``, not a ``RandomString``: the provider makes a ``random_string``'s ID its
    result, and an ID is never encrypted, so the token stood in plain text in the exported state
    (found by tests/localcloud/test_kubeadm_stack.py). A ``random_password``'s ID is ``none``.
    """
    return random.RandomPassword(
        name,
        length=length,
        lower=True,
        numeric=True,
        upper=False,
        special=False,
        opts=pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(additional_secret_outputs=["result"])
        ),
    )
