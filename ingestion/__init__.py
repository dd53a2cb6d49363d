"""Everything that reaches an API or a landing file.

fetch: API → landing; load: landing → raw (dlt).
"""

__version__ = "0.1.0"
