"""Our FIX rules-of-engagement data dictionary (FIXT.1.1 / FIX.5.0SP2)."""
