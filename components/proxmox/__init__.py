"""Proxmox VE building blocks of the labs (LABS.md section 6): the group's LXC fleet."""
