"""The raw tables' DDL, beside what dlt creates: the declared tables before their first
rows (:func:`ensure_tables`), columns declared since (:func:`ensure_columns`) and the
indexes dlt does not declare (:func:`ensure_indexes`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ingestion.loader.specs import LANDING_FILES, REJECTED_RECORDS, TableSpec


def existing_tables(client: Any, pipeline: Any) -> set[str]:
    """The tables in the pipeline's dataset, by name."""
    return {
        row[0]
        for row in client.execute_sql(
            "select tablename from pg_tables where schemaname = %s", pipeline.dataset_name
        )
    }


def ensure_indexes(pipeline: Any, tables: Iterable[TableSpec]) -> None:
    """Indexes dlt does not declare: the load id (incremental models select on it) and
    each table's declared lookup columns. Idempotent and cheap once they exist."""
    with pipeline.sql_client() as client:
        existing = existing_tables(client, pipeline)
        for spec in tables:
            if spec.name not in existing:
                continue
            table = client.make_qualified_table_name(spec.name)
            if spec.replace_by_file:
                # Append-only in load order: a BRIN index finds a load's rows (and the
                # unsummarized newest pages) at almost no cost per inserted row, where
                # a btree on the load id would double the cost of a snapshot's COPY.
                dataset = client.fully_qualified_dataset_name()
                statements = [
                    f'drop index if exists {dataset}."{spec.name}__load_id"',
                    f'create index if not exists "{spec.name}__load_id_brin" on {table} '
                    "using brin ((_dlt_load_id::numeric)) with (autosummarize = on)",
                ]
            else:
                statements = [
                    f'create index if not exists "{spec.name}__load_id" on {table} '
                    f"((_dlt_load_id::numeric))",
                ]
            if spec.partition_by:  # within a month, a time range without a btree's cost
                statements.append(
                    f'create index if not exists "{spec.name}__{spec.partition_by}_brin" '
                    f"on {table} using brin ({spec.partition_by}) with (autosummarize = on)"
                )
            for cols in spec.indexes:
                name = f"{spec.name}__{'_'.join(cols)}"
                statements.append(
                    f'create index if not exists "{name}" on {table} ({", ".join(cols)})'
                )
            for statement in statements:
                client.execute_sql(statement)


_PG_TYPES = {
    "bigint": "bigint",
    "int": "integer",
    "double": "double precision",
    "decimal": "numeric",
    "text": "varchar",
    "bool": "boolean",
    "timestamp": "timestamp with time zone",
    "date": "date",
    "json": "jsonb",
}


def ensure_tables(pipeline: Any, tables: Iterable[TableSpec]) -> list[str]:
    """Create, empty, each declared raw table that no load has created yet.

    dlt creates a table with its first rows; until a source has delivered any, the
    dbt staging views over it would not compile. dlt reflects existing tables
    (information_schema) before its own DDL, so it adopts these as they are.
    """
    created: list[str] = []
    with pipeline.sql_client() as client:
        client.execute_sql(f"create schema if not exists {client.fully_qualified_dataset_name()}")
        existing = existing_tables(client, pipeline)
        for spec in [*tables, LANDING_FILES, REJECTED_RECORDS]:
            if spec.name in existing or spec.name in created:
                continue
            cols = [
                f'"{name}" {_PG_TYPES[dtype]}' + ("" if name in spec.nullable else " not null")
                for name, dtype in spec.columns.items()
            ]
            cols.append('"_dlt_load_id" varchar not null')
            table = client.make_qualified_table_name(spec.name)
            partitioned = f" partition by range ({spec.partition_by})" if spec.partition_by else ""
            client.execute_sql(
                f"create table if not exists {table} ({', '.join(cols)}){partitioned}"
            )
            created.append(spec.name)
    return created


def ensure_columns(pipeline: Any, tables: Iterable[TableSpec]) -> list[str]:
    """Add each declared column an existing raw table lacks (``table.column``), empty and
    nullable: a table created before the column was declared, which no load has written
    to since (dlt adds a column only to a table it loads rows into), still shows every
    column to dbt's staging views."""
    added: list[str] = []
    specs = list(tables)
    with pipeline.sql_client() as client:
        existing: dict[str, set[str]] = {}
        for table, column in client.execute_sql(
            "select table_name, column_name from information_schema.columns"
            " where table_schema = %s",
            pipeline.dataset_name,
        ):
            existing.setdefault(table, set()).add(column)
        for spec in specs:
            if spec.name not in existing:
                continue
            for name, dtype in spec.columns.items():
                if name not in existing[spec.name]:
                    client.execute_sql(
                        f"alter table {client.make_qualified_table_name(spec.name)}"
                        f' add column if not exists "{name}" {_PG_TYPES[dtype]}'
                    )
                    added.append(f"{spec.name}.{name}")
    return added
