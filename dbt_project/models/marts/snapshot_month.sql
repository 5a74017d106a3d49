-- The monthly snapshot (срез): every person insured at 00:00 on snapshot_date,
-- with the attributes valid at that instant and the age on that date.
--
-- Each run (re)builds the snapshot dates given in the dbt var snapshot_date (one
-- date — the Dagster month partition — or a list for a backfill) and leaves the
-- other dates alone: a snapshot is frozen once taken, so the model refuses
-- --full-refresh, which would rebuild all months from today's knowledge.
-- delete+insert on snapshot_date replaces the rows of the dates; the pre-hook
-- deletes them too, so that a rebuild that finds nobody insured on a date
-- leaves that date empty rather than stale.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='snapshot_date',
        full_refresh=false,
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_snapshot_dates() }}",
    )
}}

with snapshot_dates as (
    {%- for d in snapshot_dates() %}
    select cast('{{ d }}' as date) as snapshot_date
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

versions_at_date as (
    -- The version describing each person at 00:00 on each snapshot date.
    select
        snapshot_dates.snapshot_date,
        history.*
    from snapshot_dates
    inner join {{ ref('int_person_history') }} as history
        on history.valid_from <= snapshot_dates.snapshot_date
        and (history.valid_to is null or history.valid_to > snapshot_dates.snapshot_date)
),

insured as (
    select *
    from versions_at_date
    where status = 'insured'
      and insurance_start <= snapshot_date
      and snapshot_date < coalesce(insurance_end, cast('2200-01-01' as date))
      and (death_date is null or death_date >= snapshot_date)
),

smo as (
    select * from {{ ref('stg_register__smo') }}
),

mo as (
    select * from {{ ref('stg_register__mo') }}
)

select
    insured.snapshot_date,
    person_id,
    change_seq as person_version_change_seq,
    enp,
    surname,
    name,
    patronymic,
    sex,
    birth_date,
    birth_date_reliability,
    {{ age_in_years('birth_date', 'snapshot_date') }} as age,
    birth_place,
    citizenship,
    person_category,
    snils,
    doc_type,
    doc_series,
    doc_number,
    doc_issue_date,
    doc_issuer,
    doc_expiry,
    reg_okato,
    reg_address,
    res_okato,
    res_address,
    homeless,
    insured.smo_code,
    smo.smo_short_name,
    insurance_start,
    insurance_end,
    policy_form,
    policy_number,
    insured.mo_code,
    mo.mo_short_name,
    attach_date,
    working,
    -- The three facts of the working status (DOMAIN.md, «Working status»):
    -- a person is non-working only when all three are false. Filled later from
    -- ФНС packages and the central segment's lists; unknown (null) for now.
    cast(null as boolean) as contributions_accrued,
    cast(null as boolean) as self_payer,
    cast(null as boolean) as in_fns_data
from insured
left join smo on smo.smo_code = insured.smo_code
left join mo on mo.mo_code = insured.mo_code
