"""Reusable Pulumi components that model the labs of the course."""
