"""The memoria técnica (call VII): incidents, statistics of 2-9 June 2024, improvement criteria."""
