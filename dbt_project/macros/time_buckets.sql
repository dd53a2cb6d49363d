{#- Bucket start in UTC whatever the session time zone is (weeks start on Monday). -#}
{% macro utc_bucket(part, ts) -%}
    date_trunc('{{ part }}', {{ ts }}, 'UTC')
{%- endmacro %}

{#- The interval one bucket of `part` spans. -#}
{% macro bucket_interval(part) -%}
    interval '1 {{ part }}'
{%- endmacro %}
