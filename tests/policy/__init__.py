"""Tests of cloudlab (a package, so that test modules import each other by full name)."""
