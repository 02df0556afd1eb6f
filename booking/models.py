"""What can be booked, when and by whom (filled by the booking issue)."""
