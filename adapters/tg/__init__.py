"""The parts of the Telegram adapter (`adapters.telegram_adapter` puts them together)."""
