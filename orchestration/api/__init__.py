"""`snapmart api`: an HTTP API over the marts (docs/api.md), read as the analyst role.

One module per concern: ``app`` assembles the FastAPI application (``create_app``),
``db`` holds the pool of analyst connections, ``problems`` the RFC 9457 error bodies,
``respond`` the representations (JSON or CSV) and their caching headers, ``paging`` the
opaque cursors, and ``routes/`` one module per family of resources. Nothing here
imports this package itself, so the modules import one another without a circle.
"""
