-- A person's effective versions never overlap: ordered by valid_from, each one
-- ends no later than the next one begins. Returns the offending versions.
with effective as (
    select
        person_id,
        change_seq,
        valid_from,
        valid_to,
        lead(valid_from) over (partition by person_id order by valid_from, change_seq)
            as next_valid_from
    from {{ ref('int_person_history') }}
    where is_effective
)

select *
from effective
where next_valid_from is not null
  and (valid_to is null or valid_to > next_valid_from)
