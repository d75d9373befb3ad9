"""Tables of the media room."""
