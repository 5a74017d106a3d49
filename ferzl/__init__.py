"""Exchange with the central segment (ЦС ЕРЗ / ФЕРЗЛ) and its emulator."""
