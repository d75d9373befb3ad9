"""Tables of the moderation room."""
