{#- Rows where a SQL expression that should always hold is false (nulls count as false). -#}
{% test expression_true(model, expression, where=none) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{% if where %}and ({{ where }}){% endif %}
{% endtest %}
