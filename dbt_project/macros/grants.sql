{#- The analyst role reads `marts` and nothing else (docs/roles.md). Tables get SELECT
    through the `grants` config; the schema itself needs USAGE once. -#}
{% macro grant_marts_to_analyst() %}
    {% if execute %}
        {% set exists = run_query("select 1 from pg_roles where rolname = 'snapmart_analyst'") %}
        {% if exists.rows | length > 0 %}
            grant usage on schema marts to snapmart_analyst
        {% else %}
            select 1
        {% endif %}
    {% endif %}
{% endmacro %}
