"""FIX 5.0 SP2 messages: wire framing, dictionaries, tags, trade fields, replies. No session here."""
