"""The parts of the Discord adapter (`adapters.discord_adapter` puts them together)."""
