"""SQLAlchemy models of the operational database.

One name per concept, the same in the table, the model, the templates and the
dbt models: ``person``, ``person_version``, ``buffer_request``, ``audit_log``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

# Normalised search columns compare byte-wise on every backend, so that a prefix
# search is an index range scan (PostgreSQL's default collation would not be).
SearchText = String(80).with_variant(String(80, collation="C"), "postgresql")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: DateTime(timezone=True)}


# --- reference books -------------------------------------------------------


class Smo(Base):
    """Insurance company (СМО) of the region."""

    __tablename__ = "smo"
    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    ogrn: Mapped[str] = mapped_column(String(13), unique=True)
    name: Mapped[str] = mapped_column(String(250))
    short_name: Mapped[str] = mapped_column(String(80))
    date_begin: Mapped[dt.date] = mapped_column(Date)
    date_end: Mapped[dt.date | None] = mapped_column(Date)


class Mo(Base):
    """Medical organisation (МО) of the region."""

    __tablename__ = "mo"
    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(250))
    short_name: Mapped[str] = mapped_column(String(80))
    okato: Mapped[str] = mapped_column(String(11))


class DocumentTypeRef(Base):
    """F011: types of identity documents (ДУЛ)."""

    __tablename__ = "document_type"
    code: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))


class PolicyForm(Base):
    """Forms of the policy (letter code)."""

    __tablename__ = "policy_form"
    code: Mapped[str] = mapped_column(String(1), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))


class EventCode(Base):
    """Event codes of changes sent to the central segment (EVN.4)."""

    __tablename__ = "event_code"
    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class ClosureReason(Base):
    """R001: reasons of closing insurance."""

    __tablename__ = "closure_reason"
    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


# --- users -----------------------------------------------------------------


class User(Base):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(60), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    smo_code: Mapped[str | None] = mapped_column(ForeignKey("smo.code"))
    mo_code: Mapped[str | None] = mapped_column(ForeignKey("mo.code"))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    cert_thumbprint: Mapped[str | None] = mapped_column(String(64), unique=True)
    cert_snils: Mapped[str | None] = mapped_column(String(11))
    cert_login_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None]
    last_login_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# --- persons ---------------------------------------------------------------


class PersonRecord:
    """The attributes of a person record; shared by the current state and its versions."""

    enp: Mapped[str] = mapped_column(String(16))
    surname: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(40))
    patronymic: Mapped[str | None] = mapped_column(String(40))
    sex: Mapped[int] = mapped_column(SmallInteger)
    birth_date: Mapped[dt.date] = mapped_column(Date)
    birth_date_reliability: Mapped[int] = mapped_column(SmallInteger, default=1)
    birth_place: Mapped[str | None] = mapped_column(String(200))
    citizenship: Mapped[str | None] = mapped_column(String(20))
    person_category: Mapped[int] = mapped_column(SmallInteger, default=1)
    snils: Mapped[str | None] = mapped_column(String(11))
    doc_type: Mapped[int | None] = mapped_column(SmallInteger)
    doc_series: Mapped[str | None] = mapped_column(String(20))
    doc_number: Mapped[str | None] = mapped_column(String(30))
    doc_issue_date: Mapped[dt.date | None] = mapped_column(Date)
    doc_issuer: Mapped[str | None] = mapped_column(String(200))
    doc_expiry: Mapped[dt.date | None] = mapped_column(Date)
    reg_okato: Mapped[str | None] = mapped_column(String(11))
    reg_address: Mapped[str | None] = mapped_column(String(300))
    res_okato: Mapped[str | None] = mapped_column(String(11))
    res_address: Mapped[str | None] = mapped_column(String(300))
    homeless: Mapped[bool] = mapped_column(Boolean, default=False)
    smo_code: Mapped[str | None] = mapped_column(String(5))
    insurance_start: Mapped[dt.date | None] = mapped_column(Date)
    insurance_end: Mapped[dt.date | None] = mapped_column(Date)
    policy_form: Mapped[str | None] = mapped_column(String(1))
    policy_number: Mapped[str | None] = mapped_column(String(20))
    mo_code: Mapped[str | None] = mapped_column(String(6))
    attach_date: Mapped[dt.date | None] = mapped_column(Date)
    working: Mapped[bool | None] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(10))
    closure_date: Mapped[dt.date | None] = mapped_column(Date)
    closure_reason: Mapped[str | None] = mapped_column(String(4))
    death_date: Mapped[dt.date | None] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(100))


#: Names of the record attributes, in table order (used by services, extracts, the generator).
RECORD_FIELDS: tuple[str, ...] = tuple(
    name
    for name, value in vars(PersonRecord).items()
    if not name.startswith("_") and hasattr(value, "column")
)


class Person(PersonRecord, Base):
    """The current state of one insured person."""

    __tablename__ = "person"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    surname_norm: Mapped[str] = mapped_column(SearchText)
    name_norm: Mapped[str] = mapped_column(SearchText)
    patronymic_norm: Mapped[str] = mapped_column(SearchText, default="")
    # Bumped on every change: a stale edit (based on an older version) is refused.
    version: Mapped[int] = mapped_column(Integer, default=1)
    change_seq: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[PersonVersion]] = relationship(
        back_populates="person", order_by="PersonVersion.change_seq"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (
            Index("uq_person_enp", "enp", unique=True),
            Index("ix_person_fio", "surname_norm", "name_norm", "patronymic_norm", "birth_date"),
            Index("ix_person_birth_fio", "birth_date", "surname_norm"),
            Index("ix_person_snils", "snils"),
            Index("ix_person_doc", "doc_number", "doc_series"),
            Index("ix_person_smo_status", "smo_code", "status"),
            Index("ix_person_mo", "mo_code"),
            Index("ix_person_policy", "policy_number"),
        )


class PersonVersion(PersonRecord, Base):
    """One confirmed state of a person, valid from ``valid_from`` to ``valid_to`` (exclusive)."""

    __tablename__ = "person_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    event_code: Mapped[str | None] = mapped_column(String(3))
    # ``buffer`` for a change confirmed through the buffer; ``initial_load`` for
    # the history migrated from the previous register system.
    source: Mapped[str] = mapped_column(String(20), default="buffer")
    buffer_request_id: Mapped[int | None] = mapped_column(ForeignKey("buffer_request.id"))
    # Monotonic across the whole register: the warehouse extracts by it.
    change_seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship(back_populates="versions")


class ChangeCounter(Base):
    """Source of ``change_seq``. Incremented with a row lock inside the writing
    transaction, so sequence numbers become visible in commit order — an extract
    reading ``change_seq > last`` never skips a change that commits later."""

    __tablename__ = "change_counter"
    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


# --- buffer ----------------------------------------------------------------


class BufferRequest(Base):
    """A change of a person waiting for (or finished with) the central segment."""

    __tablename__ = "buffer_request"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    buffer_type: Mapped[int] = mapped_column(SmallInteger)
    operation: Mapped[str] = mapped_column(String(20))
    event_code: Mapped[str] = mapped_column(String(3))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    # The person's version the operator saw; applying over a newer one is refused.
    base_person_version: Mapped[int | None] = mapped_column(Integer)
    enp: Mapped[str | None] = mapped_column(String(16))
    surname: Mapped[str] = mapped_column(String(40))
    surname_norm: Mapped[str] = mapped_column(SearchText, default="", index=True)
    name: Mapped[str] = mapped_column(String(40))
    patronymic: Mapped[str | None] = mapped_column(String(40))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    proposed: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(30), index=True)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    message_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    batch_id: Mapped[str | None] = mapped_column(String(36), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    author_smo: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    answered_at: Mapped[dt.datetime | None]
    applied_at: Mapped[dt.datetime | None]
    # Set by a ТФОМС operator's «принудительная отправка»: the sender takes it at once.
    forced_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


# --- exchange with the central segment ----------------------------------------


class ExchangeBatch(Base):
    """One outbound batch (``.uprmes``) and what the central segment said about it."""

    __tablename__ = "exchange_batch"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # BHS.11 GUID
    file_name: Mapped[str] = mapped_column(String(120))
    # prepared (claimed, file not yet written) → sent → transport_accepted / transport_error
    state: Mapped[str] = mapped_column(String(20), index=True)
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[dt.datetime | None]
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    transport_code: Mapped[str | None] = mapped_column(String(2))
    transport_errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    transport_at: Mapped[dt.datetime | None]
    answered_at: Mapped[dt.datetime | None]


class ExchangeMessage(Base):
    """One message of a batch; kept when its buffer request is deleted (the journal)."""

    __tablename__ = "exchange_message"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(36), unique=True)  # MSH.10 GUID
    batch_id: Mapped[str] = mapped_column(ForeignKey("exchange_batch.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # change / status_query / working_query
    # No foreign key: deleting a request must not delete what was exchanged about it.
    buffer_request_id: Mapped[int | None] = mapped_column(Integer, index=True)
    person_id: Mapped[int | None] = mapped_column(Integer, index=True)
    event_code: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    answer_code: Mapped[str | None] = mapped_column(String(2))
    answer_errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    answered_at: Mapped[dt.datetime | None]
    # How many times an answer arrived (a repeat changes nothing, but is counted).
    answer_count: Mapped[int] = mapped_column(Integer, default=0)


class ExchangeAnswerFile(Base):
    """An answer file of the central segment, identified by its content."""

    __tablename__ = "exchange_answer_file"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    file_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # uprak1 / uprak2
    batch_id: Mapped[str | None] = mapped_column(String(36), index=True)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(String(20))  # processed / unreadable
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ExchangeEvent(Base):
    """The exchange journal: repeats, late and unknown answers, unreadable files."""

    __tablename__ = "exchange_event"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    level: Mapped[str] = mapped_column(String(10))  # info / warning / error
    kind: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str | None] = mapped_column(String(200))
    batch_id: Mapped[str | None] = mapped_column(String(36), index=True)
    message_id: Mapped[str | None] = mapped_column(String(36), index=True)
    buffer_request_id: Mapped[int | None] = mapped_column(Integer, index=True)
    text: Mapped[str] = mapped_column(Text)


# --- audit -----------------------------------------------------------------


class AuditLog(Base):
    """Who saw or changed what, and when (152-ФЗ)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    user_login: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[str | None] = mapped_column(String(40))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    remote_addr: Mapped[str | None] = mapped_column(String(45))
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)
