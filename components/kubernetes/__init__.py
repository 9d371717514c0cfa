"""Kubernetes building blocks, for any cluster: the FastAPI workload (a Deployment and its two
Services), its settings (``cloudlab:workload``) and the kubeconfig built from certificates.

The stacks ``kubernetes`` (on the kubeadm cluster of :mod:`components.kubeadm`), ``k8s-workload``
and ``k8s-local`` deploy the workload through a Kubernetes provider they give it. The lab is
described in ``docs/labs/kubernetes.md``.
"""
