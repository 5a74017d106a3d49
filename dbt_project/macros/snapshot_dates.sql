{#- The dates of the snapshots (срезы) a run builds, as sorted ISO strings.

    From the dbt var `snapshot_date`: one date (YYYY-MM-DD; Dagster passes the
    month partition key) or a list of dates (a backfill of several months in
    one run). Default: the 1st of the current month. Each snapshot is taken as
    of 00:00 on its date. -#}
{% macro snapshot_dates() -%}
    {%- set raw = var('snapshot_date', none) -%}
    {%- if raw is none or (raw | string | trim) == '' -%}
        {%- set items = [modules.datetime.date.today().replace(day=1).isoformat()] -%}
    {%- elif raw is string or raw is not iterable -%}
        {%- set items = [raw] -%}
    {%- else -%}
        {%- set items = raw -%}
    {%- endif -%}
    {%- set dates = [] -%}
    {%- for item in items -%}
        {%- set text = item | string | trim -%}
        {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) -%}
            {{ exceptions.raise_compiler_error(
                "var snapshot_date must be YYYY-MM-DD or a list of them, got '" ~ text ~ "'") }}
        {%- endif -%}
        {%- set parsed = modules.datetime.datetime.strptime(text, '%Y-%m-%d').date().isoformat() -%}
        {%- if parsed not in dates -%}
            {%- do dates.append(parsed) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(dates | sort) -}}
{%- endmacro %}


{#- The snapshot dates as a SQL list of date literals: (cast('2024-05-01' as date), …). -#}
{% macro snapshot_dates_sql() -%}
    ({%- for d in snapshot_dates() -%}
        cast('{{ d }}' as date){% if not loop.last %}, {% endif %}
    {%- endfor -%})
{%- endmacro %}


{#- Pre-hook of snapshot_month: empty the dates being rebuilt, inside the model's
    transaction. delete+insert alone only deletes dates that get rows again. -#}
{% macro delete_snapshot_dates() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where snapshot_date in {{ snapshot_dates_sql() }}
    {%- endif -%}
{%- endmacro %}
