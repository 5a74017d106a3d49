from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from register.db import transaction
from register.roles import MO, SMO, STATISTICIAN, TFOMS
from tests.factories import make_user, seed_region


@pytest.fixture
def region(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """A migrated database with reference books and a user of each role."""
    with transaction(session_factory) as s:
        seed_region(s)
        make_user(s, "tfoms", TFOMS)
        make_user(s, "smo1", SMO, smo_code="50001")
        make_user(s, "smo2", SMO, smo_code="50002")
        make_user(s, "mo", MO, mo_code="500001")
        make_user(s, "stat", STATISTICIAN)
    return session_factory
