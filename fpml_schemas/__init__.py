"""Our FpML clearing profile and the loader of the official FpML 5.10 confirmation schema set."""
