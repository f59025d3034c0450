"""Services of the households app: the writes on persons' choices, contests and staff marks."""
