{#- Data tests of a scheduled tick look only at the part of a big table the tick can have
    changed (issue 9: a tick's cost follows the new data, not the history).

    A model opts in with `meta: {tick_test_window: <time column>}` when it has a numeric
    `load_id` (a dlt load id = epoch seconds of the load), or with `meta:
    {tick_test_window: {time: <column>, load: <column>}}` (a rollup's `max_load_id`).
    A tick sets SNAPMART_TESTS_SINCE_LOAD to the epoch it started at; every data test on such a model
    then sees only the rows observed at or after the earliest time a row loaded since then
    carries. Rows of this tick are all in it, and so is any older row sharing a key with
    them (a duplicate shares its time), so uniqueness still sees every duplicate pair the
    tick could create. Without the variable (full builds, `snapmart transform`,
    `make test`) every test sees the whole table, as dbt's own macro does.

    A `where` config may say `__tick_now__` for the tick's clock (macros/tick_clock.sql):
    dbt's documented way to put a run-time value into a test's `where`. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = (config.get('where') or '') | replace('__tick_now__', tick_now()) -%}
    {%- set since = env_var('SNAPMART_TESTS_SINCE_LOAD', '') -%}
    {%- set time_column = none -%}
    {%- if since and model.attached_node and model.attached_node in graph.nodes -%}
        {%- set time_column = graph.nodes[model.attached_node].config.meta.get('tick_test_window') -%}
    {%- endif -%}
    {%- if time_column -%}
        {%- set load_column = 'load_id' -%}
        {%- if time_column is mapping -%}
            {%- set load_column = time_column['load'] -%}
            {%- set time_column = time_column['time'] -%}
        {%- endif -%}
        {%- set window -%}
            {{ time_column }} >= (
                select min(w.{{ time_column }}) from {{ relation }} as w
                where w.{{ load_column }} >= {{ since | float }}
            )
        {%- endset -%}
        {%- set where = '(' ~ where ~ ') and ' ~ window if where else window -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
