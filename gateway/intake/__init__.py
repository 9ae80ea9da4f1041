"""Intake: turning what trade sources send (FpML, FIX) into canonical trades and business messages."""
