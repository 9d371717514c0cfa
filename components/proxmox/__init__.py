"""Proxmox VE building blocks of the labs (docs/labs/proxmox.md): the group's LXC fleet."""
