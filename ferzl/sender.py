"""Packing queued buffer requests into ``.uprmes`` batches in the outbound folder.

Each batch goes in three steps, so that a crash anywhere loses nothing and sends
nothing twice: (1) one transaction claims the requests and records the batch
GUID and the message ids (state *prepared*); (2) the file is built from those
records and written atomically; (3) one transaction marks the batch and its
requests *sent*. On start, a prepared batch is written again with the same ids —
the central segment recognises the batch GUID.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ferzl.codec.batch import BatchHeader, ChangeMessage, build_batch
from ferzl.outbound import MODE, change_message
from ferzl.transport import sha256_of, write_atomically
from register import exchange
from register.clock import as_utc
from register.db import transaction
from register.models import BufferRequest, ExchangeBatch, Smo, utcnow
from register.settings import Settings

ENCODING = "windows-1251"


@dataclass
class SendReport:
    batches: list[str] = field(default_factory=list)  # file names written
    messages: int = 0
    refused: int = 0
    recovered: int = 0

    def text(self) -> str:
        return (
            f"пакетов отправлено: {len(self.batches)}, сообщений: {self.messages}, "
            f"не отправлено (ошибка данных): {self.refused}, "
            f"дописано после сбоя: {self.recovered}"
        )


def batch_file_name(settings: Settings, batch_id: str) -> str:
    return f"{settings.region_okato}-{batch_id}.uprmes"


def _smo_ogrn(session: Session) -> dict[str, str]:
    return {code: ogrn for code, ogrn in session.execute(select(Smo.code, Smo.ogrn))}


def _rebuilt_messages(
    session: Session, settings: Settings, batch: ExchangeBatch
) -> list[ChangeMessage]:
    """The messages of a batch a crash left prepared, built again from its requests.

    A request whose data the protocol can no longer carry (its СМО left the reference
    book meanwhile, say) is rejected locally instead of holding up every later batch.
    """
    ogrn = _smo_ogrn(session)
    messages = []
    for request in exchange.batch_requests(session, batch.id):
        try:
            messages.append(
                change_message(request, smo_ogrn=ogrn, region_okato=settings.region_okato)
            )
        except ValueError as exc:
            exchange.refuse_unsendable(session, request, str(exc))
    return messages


def _write(
    session: Session,
    settings: Settings,
    batch: ExchangeBatch,
    messages: list[ChangeMessage] | None = None,
) -> tuple[str, int]:
    """Build a prepared batch's file and put it into the outbound folder.

    ``messages`` are the ones just built for the batch; after a crash they are built
    again from the records (the same ids, the same content).
    """
    if messages is None:
        messages = _rebuilt_messages(session, settings, batch)
    if not messages:
        return "", 0  # every request of it was deleted or refused: nothing to send
    # In UTC whatever the database session's zone, so a rewritten batch has the same bytes.
    header = BatchHeader(
        region_code=settings.region_code,
        created=as_utc(batch.created_at),
        mode=MODE,
        batch_id=batch.id,
    )
    data = build_batch(header, messages, ENCODING)
    write_atomically(settings.exchange_outbound, batch.file_name, data)
    return sha256_of(data), len(messages)


def _finish(
    factory: sessionmaker[Session],
    settings: Settings,
    batch_id: str,
    messages: list[ChangeMessage] | None = None,
) -> int:
    with transaction(factory) as session:
        batch = session.get(ExchangeBatch, batch_id)
        assert batch is not None
        sha, count = _write(session, settings, batch, messages)
    with transaction(factory) as session:
        exchange.mark_batch_sent(session, batch_id, sha256=sha, message_count=count)
    return count


def _prepare(
    factory: sessionmaker[Session], settings: Settings, report: SendReport
) -> tuple[str, list[ChangeMessage]] | None:
    """Claim the next batch of queued requests; None when the queue is empty.

    Returns the batch id ("" when every claimed request was refused) and its messages.
    """
    with transaction(factory) as session:
        claimed = exchange.claim_requests(session, settings.batch_size)
        if not claimed:
            return None
        ogrn = _smo_ogrn(session)
        sendable: list[BufferRequest] = []
        messages: list[ChangeMessage] = []
        for request in claimed:
            request.message_id = str(uuid.uuid4())
            try:
                message = change_message(request, smo_ogrn=ogrn, region_okato=settings.region_okato)
            except ValueError as exc:
                request.message_id = None
                exchange.refuse_unsendable(session, request, str(exc))
                report.refused += 1
                continue
            request.message_id = None  # recorded by prepare_batch with the batch
            sendable.append(request)
            messages.append(message)
        if not sendable:
            return "", []
        batch_id = str(uuid.uuid4())
        exchange.prepare_batch(
            session,
            sendable,
            batch_id=batch_id,
            file_name=batch_file_name(settings, batch_id),
            message_ids=[m.message_id for m in messages],
            created_at=utcnow(),
        )
        return batch_id, messages


def send_queued(
    factory: sessionmaker[Session], settings: Settings, *, max_batches: int | None = None
) -> SendReport:
    """Finish batches a crash left prepared, then send every queued request in batches."""
    report = SendReport()
    with factory() as session:
        leftover = [(b.id, b.file_name) for b in exchange.prepared_batches(session)]
    for batch_id, file_name in leftover:
        report.messages += _finish(factory, settings, batch_id)
        report.batches.append(file_name)
        report.recovered += 1
    while max_batches is None or len(report.batches) < max_batches:
        prepared = _prepare(factory, settings, report)
        if prepared is None:
            break
        batch_id, messages = prepared
        if not batch_id:
            continue
        report.messages += _finish(factory, settings, batch_id, messages)
        report.batches.append(batch_file_name(settings, batch_id))
    return report


def sending_due(factory: sessionmaker[Session], settings: Settings) -> exchange.QueueState | None:
    """The queue, when it is time to send (for the sensor); None otherwise."""
    with factory() as session:
        state = exchange.queue_state(session)
        leftover = bool(exchange.prepared_batches(session))
    due = exchange.sending_due(
        state,
        batch_size=settings.batch_size,
        delay_seconds=settings.send_delay_seconds,
        now=utcnow(),
    )
    return state if (due or leftover) else None
