"""The kubeadm lab: a Kubernetes cluster on OpenStack VMs, one master and N workers.

Servers, networks and security groups (:mod:`~components.kubeadm.cluster_security`), the
nodes' cloud-init (:mod:`~components.kubeadm.cloudinit`), the bootstrap secrets
(:mod:`~components.kubeadm.cluster_pki`, :mod:`~components.kubeadm.pki`) and the settings
(``cloudlab:kubernetes``). The cluster waits for itself with the readiness gate of
:mod:`components.dynamic.readiness` and hands a Kubernetes provider to the building blocks of
:mod:`components.kubernetes`. The lab is described in ``docs/labs/kubernetes.md``.

The components keep their type tokens (``cloudlab:kubernetes:KubeadmCluster``...): a type is
part of every child's URN, so the stacks deployed before this package existed update in place.
"""
