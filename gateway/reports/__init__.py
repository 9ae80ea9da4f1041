"""The members' daily reports: one CSV per report kind, member and business date, a PDF statement of the
same figures, their checksums, and the notification that announces them (docs/REPORTS.md)."""
