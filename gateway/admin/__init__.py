"""Reference data kept in the database: the operator's administration and the live directories.

Above the store, below the channels: ``reference`` and ``source_admin`` change members, accounts and trade
sources; ``member_directory``, ``source_directory`` and ``watch`` are the cached views the channels ask.
The values they handle (members, sources, calendars, indices, rates) are ``gateway.refdata``'s.
"""
