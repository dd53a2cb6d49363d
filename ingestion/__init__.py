"""Everything that reaches an API or a landing file: fetch (API → landing) and load (landing → raw)."""

__version__ = "0.1.0"
