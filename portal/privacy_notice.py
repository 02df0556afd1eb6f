"""The clinic's privacy notice: its version, and the retention figures it states.

The figures live here, below every app, so the notice and the retention code
(``practice/retention.py``) read the same numbers. Changing what the notice says means a new
``NOTICE_VERSION``; the intake consent records the version a patient agreed under
(``intake.questionnaire.CONSENT_VERSION``).
"""

from __future__ import annotations

NOTICE_VERSION = "2026-12-05"

# Accounts that never booked anything are deleted after this long without signing in.
INACTIVE_ACCOUNT_YEARS = 2
# UK tax law (HMRC) asks businesses to keep their accounting records for at least six years.
ACCOUNTS_KEPT_YEARS = 6

# Where a patient in the UK can complain about how their data is handled.
ICO_COMPLAINT_URL = "https://ico.org.uk/make-a-complaint/"
ICO_HELPLINE = "0303 123 1113"
