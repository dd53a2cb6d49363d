"""Dagster building blocks, one module per kind; definitions.py assembles them."""
