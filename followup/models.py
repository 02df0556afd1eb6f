"""Messages around a visit: the outbox, check-ins and escalation (filled by the follow-up issue)."""
