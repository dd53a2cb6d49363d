{#- The tick's clock (ingestion/clock.py): the instant the orchestrator published in
    ops.tick_clock just before this dbt invocation. Every rule that compares with "now"
    (past events, days to an event, staleness, the test windows below) reads it instead
    of the server's now(), so a tick replayed or tested under another clock gives the same
    marts. The server's now() only where nothing was ever published (a bare `dbt build`). -#}
{% macro tick_now() -%}
    coalesce((select tick_clock.as_of from ops.tick_clock as tick_clock where tick_clock.clock_id = 1), now())
{%- endmacro %}

{#- The tick's UTC calendar day. -#}
{% macro tick_date() -%}
    ({{ tick_now() }} at time zone 'UTC')::date
{%- endmacro %}
