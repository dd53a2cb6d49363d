"""What snapmart runs on, in one room per concern: the settings a process starts with
(``settings``), how to reach a PostgreSQL (``connection``), the embedded server
(``embedded``) and the roles and grants of docs/roles.md (``roles``).

``orchestration.warehouse`` puts them together: a ``Warehouse`` made from ``Settings``,
which the edge of a process (a `snapmart` command, a Dagster resource, a test fixture)
creates, prepares once and passes down.
"""
