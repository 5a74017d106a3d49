{#- Models land in the schema named in their config (staging, intermediate, marts),
    not in "<target schema>_<custom schema>": the warehouse has a single target,
    and readers (publish, tests) address tables as marts.snapshot_month. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
