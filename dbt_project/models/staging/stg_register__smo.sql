-- Insurance companies (СМО) of the region. Renames and types only.
select
    code as smo_code,
    ogrn as smo_ogrn,
    name as smo_name,
    short_name as smo_short_name,
    cast(date_begin as date) as smo_date_begin,
    cast(date_end as date) as smo_date_end
from {{ source('raw', 'smo') }}
