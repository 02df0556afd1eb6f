"""What patients tell the clinic about their health (filled by the intake issue)."""
