"""The person's own pages: sign-in, /status/ and its actions (server-rendered, no JavaScript)."""
