"""The households app's API: the state portal's status lookup (INTERFACES §3)."""
