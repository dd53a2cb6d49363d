{#- A name from a profile line (an item, a market, a player) as a rejected line's reason
    quotes it, as the profile loader always has (Python's repr of the value written): a
    number bare (unknown item 999), text quoted ('Natur rune'; "Karil's top" when the text
    holds a single quote). -#}
{% macro profile_name(name) -%}
    case
        when {{ name }} ~ '^-?[0-9]+(\.[0-9]+)?$' then {{ name }}
        when strpos({{ name }}, '''') > 0 and strpos({{ name }}, '"') = 0
            then '"' || {{ name }} || '"'
        else '''' || replace({{ name }}, '''', '\''') || ''''
    end
{%- endmacro %}

{#- How the catalogue matches a name written in a profile: case and surrounding spaces
    ignored. -#}
{% macro profile_key(name) -%}
    lower(btrim({{ name }}))
{%- endmacro %}
