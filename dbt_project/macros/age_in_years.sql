{#- Full years between birth_date and on_date (both dates), in portable SQL:
    the difference of the two dates written as YYYYMMDD numbers, divided by 10000.
    A person born on 29 February turns a year older on 1 March in common years. -#}
{% macro age_in_years(birth_date, on_date) -%}
    cast(floor((
        (extract(year from {{ on_date }}) * 10000
            + extract(month from {{ on_date }}) * 100
            + extract(day from {{ on_date }}))
        - (extract(year from {{ birth_date }}) * 10000
            + extract(month from {{ birth_date }}) * 100
            + extract(day from {{ birth_date }}))
    ) / 10000) as integer)
{%- endmacro %}
