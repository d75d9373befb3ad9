"""Tables of the content room."""
