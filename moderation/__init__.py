"""moderation room."""
