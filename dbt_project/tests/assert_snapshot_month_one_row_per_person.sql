-- A person appears at most once in a snapshot. Returns the duplicated persons.
select
    snapshot_date,
    person_id,
    count(*) as rows_in_snapshot
from {{ ref('snapshot_month') }}
group by snapshot_date, person_id
having count(*) > 1
