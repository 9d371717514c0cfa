"""The Kubernetes lab (LABS.md section 3): a kubeadm cluster on OpenStack VMs and its workload."""
