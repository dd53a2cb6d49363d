{#- The newest dlt load id already in this incremental model, as a literal.

    `load_id > (select max(load_id) from this)` leaves the planner guessing a third of the
    table is new: at 10M observations the hourly rollup then merge-joined the whole fact
    (31 s for a 50k-row tick). With the value inlined, the column's statistics (and the
    index's actual maximum) say how few rows are new, and the tick's rows are found and
    joined through the indexes (1.4 s). Read when the model runs, as the subquery was. -#}
{% macro load_cursor(column='load_id') -%}
    {%- if execute -%}
        {%- set newest = run_query(
            'select coalesce(max(' ~ column ~ '), 0) from ' ~ this
        ).columns[0].values()[0] -%}
        {{ newest }}
    {%- else -%}
        (select coalesce(max(t.{{ column }}), 0) from {{ this }} as t)
    {%- endif -%}
{%- endmacro %}
