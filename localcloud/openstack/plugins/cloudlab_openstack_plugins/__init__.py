"""Plugins loaded by the local OpenStack services (runs inside the services venv)."""
