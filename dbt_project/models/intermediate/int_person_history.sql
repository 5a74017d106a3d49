-- SCD2 history of every person: each version with the interval [valid_from, valid_to)
-- in which it describes the person, by the register's current knowledge.
--
-- valid_to is derived here, never taken from the extract. The operational
-- service closes the previous version by updating its valid_to, and that update
-- gets no new change_seq, so the incremental extract (by change_seq) holds a
-- stale valid_to for every version that was current when it was copied.
--
-- A version is valid until the earliest valid_from among the versions recorded
-- after it (by change_seq). While valid_from grows with change_seq this equals
--     lead(valid_from) over (partition by person_id order by change_seq);
-- when a later change is back-dated (register.buffer never dates a change before
-- the current version, but histories migrated from the old system can) lead()
-- would let two versions overlap, while the minimum over all later versions
-- keeps the intervals disjoint: the later record wins from its valid_from on,
-- and a version it fully supersedes gets an empty interval (valid_to <=
-- valid_from) and is never valid.
with versions as (
    select * from {{ ref('stg_register__person_versions') }}
),

history as (
    select
        *,
        min(valid_from) over (
            partition by person_id
            order by change_seq
            rows between 1 following and unbounded following
        ) as valid_to,
        row_number() over (partition by person_id order by change_seq) as version_number
    from versions
)

select
    person_id,
    change_seq,
    person_version_id,
    version_number,
    valid_from,
    valid_to,
    valid_to is null as is_current,
    (valid_to is null or valid_to > valid_from) as is_effective,
    event_code,
    version_source,
    buffer_request_id,
    recorded_at,
    enp,
    surname,
    name,
    patronymic,
    sex,
    birth_date,
    birth_date_reliability,
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
    smo_code,
    insurance_start,
    insurance_end,
    policy_form,
    policy_number,
    mo_code,
    attach_date,
    working,
    status,
    closure_date,
    closure_reason,
    death_date,
    phone,
    email
from history
