"""Adapters: one module per technology and role."""
