"""OpenStack building blocks of the labs, one concern per module."""
