"""Platform settings read from the environment (one place, used by every front door)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# Region code (ОКТМО-style two digits used in ЕНП) → the region's ОКАТО, 5 digits.
REGION_OKATO: dict[str, str] = {
    "50": "46000",  # Московская область
    "77": "45000",  # Москва
    "78": "40000",  # Санкт-Петербург
    "47": "41000",  # Ленинградская область
    "16": "92000",  # Республика Татарстан
    "66": "65000",  # Свердловская область
}


@dataclass(frozen=True)
class Settings:
    """Where things live and how to reach them. Every runtime file is under ``data_dir``."""

    data_dir: Path
    database_url: str
    region_code: str
    host: str
    web_port: int
    dagster_port: int
    ferzl_port: int
    # The region's 5-digit ОКАТО: the prefix of outbound file names, IN1.15.
    region_okato: str = "46000"
    # Messages per outbound batch, and how long a queued request may wait for a fuller batch.
    batch_size: int = 1000
    send_delay_seconds: int = 30
    # The central segment's look-up service; default: the emulator on this machine.
    ferzl_lookup_url: str | None = None

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def marts_dir(self) -> Path:
        return self.data_dir / "marts"

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster"

    @property
    def exchange_outbound(self) -> Path:
        return self.data_dir / "exchange" / "outbound"

    @property
    def exchange_inbound(self) -> Path:
        return self.data_dir / "exchange" / "inbound"

    @property
    def inbox_dir(self) -> Path:
        return self.data_dir / "inbox"

    @property
    def demo_packages_dir(self) -> Path:
        return self.data_dir / "demo_packages"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def ferzl_url(self) -> str:
        return self.ferzl_lookup_url or f"http://{self.host}:{self.ferzl_port}"

    def ensure_dirs(self) -> None:
        """Create the data directory tree (idempotent)."""
        for d in (
            self.data_dir,
            self.marts_dir,
            self.dagster_home,
            self.exchange_outbound,
            self.exchange_inbound,
            self.inbox_dir,
            self.demo_packages_dir,
            self.logs_dir,
        ):
            d.mkdir(parents=True, exist_ok=True)


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Settings from ``RSERZ_*`` environment variables, with embedded defaults."""
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("RSERZ_DATA_DIR") or PROJECT_ROOT / "data").resolve()
    database_url = env.get("RSERZ_DATABASE_URL") or f"sqlite:///{data_dir / 'rserz.sqlite'}"
    region_code = env.get("RSERZ_REGION_CODE", "50")
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        region_code=region_code,
        host=env.get("RSERZ_HOST", "127.0.0.1"),
        web_port=int(env.get("RSERZ_WEB_PORT", "8000")),
        dagster_port=int(env.get("RSERZ_DAGSTER_PORT", "3000")),
        ferzl_port=int(env.get("RSERZ_FERZL_PORT", "8090")),
        region_okato=env.get("RSERZ_REGION_OKATO") or REGION_OKATO.get(region_code, "00000"),
        batch_size=int(env.get("RSERZ_BATCH_SIZE", "1000")),
        send_delay_seconds=int(env.get("RSERZ_SEND_DELAY", "30")),
        ferzl_lookup_url=env.get("RSERZ_FERZL_URL") or None,
    )
