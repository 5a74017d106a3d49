"""Static reference books of the register (the same in every region)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from register.models import ClosureReason, DocumentTypeRef, EventCode, PolicyForm

POLICY_FORMS: dict[str, str] = {
    "П": "Полис ОМС единого образца на бумажном носителе",
    "Э": "Полис ОМС в форме электронного документа",
    "В": "Временное свидетельство",
    "К": "Универсальная электронная карта",
    "С": "Полис ОМС старого образца",
    "Е": "Электронное временное свидетельство",
}

EVENT_CODES: dict[str, str] = {
    "П01": "Выбор (замена) СМО впервые / постановка на учёт",
    "П02": "Снятие с учёта",
    "П03": "Замена СМО",
    "П04": "Изменение персональных данных без замены полиса",
    "П05": "Изменение сведений о занятости",
    "П06": "Замена полиса",
    "П07": "Смерть застрахованного, учтённого в другом субъекте",
    "П08": "Восстановление на учёте",
    "П09": "Отмена регистрации смерти",
    "П10": "Объединение дубликатов",
    "П11": "Разделение ошибочно объединённых записей",
}

CLOSURE_REASONS: dict[str, str] = {
    "П021": "Переход в другую СМО",
    "П022": "Смерть застрахованного лица",
    "П023": "Устранение дублирования записей",
    "П024": "Ошибка в ЕНП",
    "П025": "Приостановление страхования (военная служба и приравненные к ней)",
}

PERSON_STATUSES: dict[str, str] = {
    "insured": "Застрахован",
    "closed": "Страхование прекращено",
    "deceased": "Умер",
}

PERSON_CATEGORIES: dict[int, str] = {
    1: "Гражданин РФ",
    2: "Иностранный гражданин, постоянно проживающий",
    3: "Иностранный гражданин, временно проживающий",
    4: "Лицо без гражданства",
    5: "Беженец",
}

SEXES: dict[int, str] = {1: "Мужской", 2: "Женский"}

BIRTH_DATE_RELIABILITY: dict[int, str] = {
    1: "Точная дата",
    2: "Известны месяц и год",
    3: "Известен только год",
}


def seed_reference_books(session: Session) -> None:
    """Insert or refresh the static reference books (idempotent)."""
    from register.documents import DOCUMENT_TYPES

    for code, name in POLICY_FORMS.items():
        session.merge(PolicyForm(code=code, name=name))
    for code, name in EVENT_CODES.items():
        session.merge(EventCode(code=code, name=name))
    for code, name in CLOSURE_REASONS.items():
        session.merge(ClosureReason(code=code, name=name))
    for doc_code, doc in DOCUMENT_TYPES.items():
        session.merge(DocumentTypeRef(code=doc_code, name=doc.name))
