-- Medical organisations (МО) of the region. Renames and types only.
select
    code as mo_code,
    name as mo_name,
    short_name as mo_short_name,
    okato as mo_okato
from {{ source('raw', 'mo') }}
