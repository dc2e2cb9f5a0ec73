"""Concierge: an assistant over a person's Gmail, Google Calendar and Google Drive."""
