"""The practitioner's workspace: calendar, room lane, attendance, treatment records, feeds."""
