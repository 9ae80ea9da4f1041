"""Business rules: product scope table, service hours and calendar, backloading, eligibility of a trade."""
